"""The confusion matrix `evaluate` prints: one row per true class, one column per prediction."""
import re

import numpy as np
import pytest

from d2lsoftmax.experiments import checkpoint, evaluation, experiment
from d2lsoftmax import cli
from d2lsoftmax.data import TEXT_LABELS, FashionMNISTIter, load_arrays, load_data_fashion_mnist
from d2lsoftmax.sections import chapter_args

LABEL_WIDTH = 17  # format_confusion's first column: the class name, left-justified


def parse_confusion(text):
    """(header, {row label: [counts]}) of a table format_confusion printed."""
    header, *rows = text.splitlines()
    return header, {row[:LABEL_WIDTH].strip(): [int(c) for c in row[LABEL_WIDTH:].split()]
                    for row in rows}


def test_rows_are_true_classes_and_columns_predictions():
    """Three classes with a known answer: the matrix is not symmetric, so a transposed
    count (predicted, true) gives another one."""
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 0, 2])
    cm = evaluation.confusion_matrix(y, y_pred, num_classes=3)
    assert cm.tolist() == [[1, 1, 0],   # true 0: once right, once taken for 1
                           [0, 2, 0],   # true 1: twice right
                           [2, 0, 1]]   # true 2: twice taken for 0, once right
    assert cm.sum(axis=1).tolist() == [2, 2, 3]  # each true class's count
    assert cm.sum(axis=0).tolist() == [3, 3, 1]  # each predicted class's count


def test_the_printed_table_has_a_row_per_true_class():
    """Every coat predicted as a shirt: the coat row holds the count, in the shirt column."""
    y = np.repeat(np.arange(10), 5)  # 5 images of every class
    y_pred = y.copy()
    y_pred[y == 4] = 6  # coat -> shirt
    header, rows = parse_confusion(evaluation.format_confusion(
        evaluation.confusion_matrix(y, y_pred)))
    assert header.startswith('true \\ predicted')
    assert list(rows) == TEXT_LABELS
    assert rows['coat'] == [0, 0, 0, 0, 0, 0, 5, 0, 0, 0]
    assert rows['shirt'] == [0, 0, 0, 0, 0, 0, 5, 0, 0, 0]
    assert [sum(counts) for counts in rows.values()] == [5] * 10  # each true class's count
    assert sum(counts[6] for counts in rows.values()) == 10  # the shirt column


@pytest.mark.usefixtures('real_data')
def test_evaluate_prints_rows_that_sum_to_each_classs_count_in_the_test_set(tmp_path, capsys):
    """`evaluate` on a softmax regression trained briefly on 300 images: its rows add up to
    the test set's 1,000 images per class, its columns to what the model predicted."""
    images, labels = load_arrays('train')

    def loader(batch_size):
        return (FashionMNISTIter(images[:300], labels[:300], batch_size, shuffle=True),
                FashionMNISTIter(images[:100], labels[:100], batch_size))
    trained = experiment.train('3.6', seed=0, loader=loader, num_epochs=1)
    path = checkpoint.save(tmp_path / 'w.npz', trained.model, '3.6',
                           chapter_args('3.6', num_epochs=1))
    assert cli.main(['evaluate', '--params', str(path), '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    start = out.index('true \\ predicted')
    _, rows = parse_confusion('\n'.join(out[start:].splitlines()[:1 + len(TEXT_LABELS)]))
    cm = np.array([rows[label] for label in TEXT_LABELS])

    y, y_pred = evaluation.predict_labels(checkpoint.load(path)[0].net,
                                          load_data_fashion_mnist(256)[1])
    true_counts = np.bincount(y, minlength=10)
    predicted_counts = np.bincount(y_pred, minlength=10)
    assert not np.array_equal(true_counts, predicted_counts)  # a transposed table differs
    assert cm.sum(axis=1).tolist() == true_counts.tolist() == np.bincount(
        load_arrays('test')[1], minlength=10).tolist()
    assert cm.sum(axis=0).tolist() == predicted_counts.tolist()
    correct = int(re.search(r'\((\d+) of 10000 test images\)', out)[1])
    assert np.trace(cm) == correct == int((y == y_pred).sum())
