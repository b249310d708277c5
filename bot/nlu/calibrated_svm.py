"""A linear SVM with Platt-calibrated probabilities, flattened for fast one-message prediction.

Training is scikit-learn's `CalibratedClassifierCV(LinearSVC, method="sigmoid")`: one SVM per
fold, each with one sigmoid per intent fitted on the held-out fold, probabilities averaged.
Its `predict_proba` loops over folds and intents in Python (about 2.5 ms for 60 intents and
3 folds); here all folds' weights form one matrix and the sigmoids one vectorised step. The
features come as a sparse part (n-grams) and a dense part (sentence embeddings), so a
message's dense vector never has to be converted to a sparse matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import expit

Scores = NDArray[np.float64]


def softmax(scores: NDArray[np.floating[Any]]) -> Scores:
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities: Scores = exp / exp.sum(axis=1, keepdims=True)
    return probabilities


@dataclass
class CalibratedLinearSVM:
    C: float = 0.5
    folds: int = 3

    def fit(
        self, sparse: sp.csr_matrix, dense: NDArray[np.float32] | None, labels: NDArray[np.int_]
    ) -> CalibratedLinearSVM:
        """`labels` are 0..K-1; with fewer than 2 folds the probabilities are a softmax of margins."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        self.n_classes = int(labels.max()) + 1
        self._n_sparse = sparse.shape[1]
        features = sp.hstack([sparse, sp.csr_matrix(dense)]).tocsr() if dense is not None else sparse
        if self.folds < 2:
            svm = LinearSVC(C=self.C, random_state=0).fit(features, labels)
            self._set_weights([svm.coef_.T], [svm.intercept_], None, None)
            return self
        calibrated = CalibratedClassifierCV(LinearSVC(C=self.C, random_state=0), cv=self.folds, method="sigmoid")
        calibrated.fit(features, labels)
        coefs, intercepts, slopes, offsets = [], [], [], []
        for member in calibrated.calibrated_classifiers_:
            svm = member.base_estimator
            if list(svm.classes_) != list(range(self.n_classes)):
                raise ValueError("a calibration fold lacks an intent; use fewer folds")
            coefs.append(svm.coef_.T)
            intercepts.append(svm.intercept_)
            slopes.append([c.a_ for c in member.calibrators])
            offsets.append([c.b_ for c in member.calibrators])
        self._set_weights(coefs, intercepts, slopes, offsets)
        return self

    def _set_weights(
        self,
        coefs: list[NDArray[np.float64]],
        intercepts: list[NDArray[np.float64]],
        slopes: list[list[float]] | None,
        offsets: list[list[float]] | None,
    ) -> None:
        coef = np.hstack(coefs).astype(np.float64)  # (features, members * k)
        self._members = len(coefs)
        self._sparse_coef = sp.csr_matrix(coef[: self._n_sparse])
        self._dense_coef = np.ascontiguousarray(coef[self._n_sparse :])
        self._intercept = np.concatenate(intercepts)
        self._slope = None if slopes is None else np.concatenate(slopes).astype(np.float64)
        self._offset = None if offsets is None else np.concatenate(offsets).astype(np.float64)

    def _margins(self, sparse: sp.csr_matrix, dense: NDArray[np.float32] | None) -> Scores:
        margins: Scores = np.asarray((sparse @ self._sparse_coef).todense()) + self._intercept
        if dense is not None and self._dense_coef.shape[0]:
            margins += dense @ self._dense_coef
        return margins

    def predict_proba(self, sparse: sp.csr_matrix, dense: NDArray[np.float32] | None) -> Scores:
        """(n, K) probabilities; column k is intent k."""
        margins = self._margins(sparse, dense)
        n, k = margins.shape[0], margins.shape[1] // self._members
        slope, offset = self._slope, self._offset  # both None without calibration
        if k == 1:  # binary: one margin (and sigmoid) per member, for class 1
            positive = expit(margins if slope is None or offset is None else -(slope * margins + offset))
            binary: Scores = np.stack([1.0 - positive.mean(axis=1), positive.mean(axis=1)], axis=1)
            return binary
        if slope is None or offset is None:
            return softmax(margins.reshape(n, self._members, k).mean(axis=1))
        probabilities = expit(-(slope * margins + offset)).reshape(n, self._members, k)
        totals = probabilities.sum(axis=2, keepdims=True)
        probabilities = np.divide(probabilities, totals, out=np.full_like(probabilities, 1.0 / k), where=totals != 0)
        mean: Scores = probabilities.mean(axis=1)
        return mean
