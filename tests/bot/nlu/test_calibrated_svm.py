"""The flattened calibrated SVM gives scikit-learn's probabilities, from split features."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from bot.nlu.calibrated_svm import CalibratedLinearSVM


def data(n_classes, n=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    sparse = sp.random(n, 50, density=0.1, random_state=seed, format="csr") + sp.csr_matrix(
        np.eye(n_classes)[labels] @ rng.random((n_classes, 50))
    )
    dense = rng.normal(size=(n, 8)) + labels[:, None] * 0.3
    return sp.csr_matrix(sparse), dense.astype(np.float32), labels


@pytest.mark.parametrize("n_classes", [2, 5])
def test_probabilities_equal_scikit_learns(n_classes):
    sparse, dense, labels = data(n_classes)
    ours = CalibratedLinearSVM(C=0.5, folds=3).fit(sparse, dense, labels)
    theirs = CalibratedClassifierCV(LinearSVC(C=0.5, random_state=0), cv=3, method="sigmoid").fit(
        sp.hstack([sparse, sp.csr_matrix(dense)]).tocsr(), labels
    )
    np.testing.assert_allclose(
        ours.predict_proba(sparse[:20], dense[:20]),
        theirs.predict_proba(sp.hstack([sparse[:20], sp.csr_matrix(dense[:20])]).tocsr()),
        rtol=1e-5,
        atol=1e-6,
    )


def test_without_calibration_probabilities_follow_the_margins():
    sparse, dense, labels = data(4)
    model = CalibratedLinearSVM(C=0.5, folds=1).fit(sparse, dense, labels)
    probabilities = model.predict_proba(sparse, dense)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    svm = LinearSVC(C=0.5, random_state=0).fit(sp.hstack([sparse, sp.csr_matrix(dense)]).tocsr(), labels)
    assert (probabilities.argmax(axis=1) == svm.predict(sp.hstack([sparse, sp.csr_matrix(dense)]).tocsr())).all()


def test_sparse_features_alone():
    sparse, _, labels = data(3)
    model = CalibratedLinearSVM(folds=2).fit(sparse, None, labels)
    assert model.predict_proba(sparse[:3], None).shape == (3, 3)
