"""The hidden checks of Conv2D: right layers get full marks, each mutant loses the right points."""
import re

import pytest

EXERCISE = "conv2d_layer"

# A differentiable, vectorised corr2d: fast, so that mutants of the layer grade quickly.
VECTORISED_CORR2D = '''
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    return tf.add_n([X[a:a + oh, b:b + ow] * K[a, b] for a in range(kh) for b in range(kw)])
'''

# The textbook's corr2d: right values, but item assignment cuts the tape.
SEED_CORR2D = '''
def corr2d(X, K):
    h, w = K.shape
    Y = tf.Variable(tf.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1)))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j].assign(tf.cast(tf.reduce_sum(
                tf.cast(X[i:i + h, j:j + w], tf.float32) * tf.cast(K, tf.float32)), tf.float32))
    return Y
'''

OTHER_STYLE_LAYER = '''
class Conv2D(tf.keras.layers.Layer):
    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = kernel_size

    def build(self, input_shape):
        self.weight = self.add_weight(name="w", shape=tuple(self.kernel_size),
                                      initializer=tf.random_normal_initializer())
        self.bias = self.add_weight(name="b", shape=(1,),
                                    initializer=tf.random_normal_initializer())

    def call(self, inputs):
        print("Conv2D.call", inputs.shape)
        return tf.add(corr2d(inputs, self.weight), self.bias)
'''


def changed(old, new):
    def apply(layer):
        assert layer.count(old) == 1, f"the reference layer no longer contains {old!r}"
        return layer.replace(old, new)
    return apply


def reference_layer(solutions):
    return solutions["conv2d_layer_solution"]


RIGHT = {
    # name: (corr2d, layer); None means the source notebook's solution cell
    "reference": (None, None),
    "vectorised_corr2d_other_style_layer": (VECTORISED_CORR2D, OTHER_STYLE_LAYER),
}

ALL = {"test_trainable_variables", "test_forward", "test_weight_gradient", "test_bias_gradient"}

# name: (corr2d, change to the layer, properties that must fail); the others must pass,
# except those listed in MAY_FAIL.
MUTANTS = {
    "seed_corr2d_not_differentiable": (SEED_CORR2D, None, {"test_weight_gradient"}),
    "no_bias": (VECTORISED_CORR2D, lambda layer: changed(
        'self.bias = self.add_weight(name="bias", shape=(1,),\n'
        '                                    initializer="zeros", trainable=True)', "pass")(
        changed("return corr2d(X, self.weight) + self.bias", "return corr2d(X, self.weight)")(layer)),
        {"test_trainable_variables", "test_forward", "test_bias_gradient"}),
    "bias_not_trainable": (VECTORISED_CORR2D, changed('initializer="zeros", trainable=True',
                                                      'initializer="zeros", trainable=False'),
                           {"test_trainable_variables", "test_bias_gradient"}),
    "bias_of_kernel_shape": (VECTORISED_CORR2D, changed("shape=(1,)", "shape=self.kernel_size"), ALL),
    "scalar_bias": (VECTORISED_CORR2D, changed("shape=(1,)", "shape=()"), {"test_trainable_variables"}),
    "weight_shaped_like_input": (VECTORISED_CORR2D, changed("shape=self.kernel_size", "shape=input_shape"),
                                 ALL),
    "flipped_kernel": (VECTORISED_CORR2D, changed("return corr2d(X, self.weight) + self.bias",
                                                  "return corr2d(X, self.weight[::-1, ::-1]) + self.bias"),
                       {"test_forward", "test_weight_gradient"}),
    "bias_subtracted": (VECTORISED_CORR2D, changed("return corr2d(X, self.weight) + self.bias", "return corr2d(X, self.weight) - self.bias"),
                        {"test_forward", "test_bias_gradient"}),
    "weight_transposed": (VECTORISED_CORR2D, changed("return corr2d(X, self.weight) + self.bias",
                                                     "return corr2d(X, tf.transpose(self.weight)) + self.bias"),
                          {"test_forward", "test_weight_gradient", "test_bias_gradient"}),
}


# A transposed kernel may make corr2d itself raise (slices of negative size) already
# while Keras builds the layer; the parameters are right, but nothing can be called.
MAY_FAIL = {"weight_transposed": {"test_trainable_variables"}}


def code_of(corr2d, layer, solutions):
    corr2d = solutions["corr2d_solution"] if corr2d is None else corr2d
    if layer is None:
        layer = reference_layer(solutions)
    elif callable(layer):
        layer = layer(reference_layer(solutions))
    return corr2d + "\n" + layer


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


@pytest.mark.parametrize("style", list(RIGHT))
def test_right_answers_get_full_marks(style, solutions, grade_part):
    part = grade_part(code_of(*RIGHT[style], solutions), EXERCISE)
    assert part.max_points == 10
    assert {p.name: p.points for p in part.properties} == {
        "test_trainable_variables": 2, "test_forward": 3, "test_weight_gradient": 3,
        "test_bias_gradient": 2}
    assert not part.ungraded, summary(part)
    assert part.score == part.max_points, summary(part)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutants_lose_exactly_their_properties(mutant, solutions, grade_part):
    corr2d, layer, failing = MUTANTS[mutant]
    part = grade_part(code_of(corr2d, layer, solutions), EXERCISE)
    assert not part.ungraded, summary(part)
    assert part.score < part.max_points, summary(part)
    failed = {p.name for p in part.properties if not p.passed}
    assert failing <= failed <= failing | MAY_FAIL.get(mutant, set()), summary(part)
    for p in part.properties:
        if not p.passed:
            # The smallest failing example is shown, inputs first.
            sizes = re.findall(r"^X = .*?# shape \((\d+), (\d+)\)", p.message, re.M | re.S)
            assert len(sizes) == 1 and int(sizes[0][0]) * int(sizes[0][1]) <= 9, p.message
            assert "layer = Conv2D((" in p.message and "→" in p.message, p.message


def test_feedback_names_the_cause(solutions, grade_part):
    messages = {}
    for mutant in ("seed_corr2d_not_differentiable", "weight_shaped_like_input", "no_bias",
                   "bias_not_trainable"):
        corr2d, layer, _ = MUTANTS[mutant]
        part = grade_part(code_of(corr2d, layer, solutions), EXERCISE)
        messages[mutant] = {p.name: p.message for p in part.properties}
    assert "梯度是 None" in messages["seed_corr2d_not_differentiable"]["test_weight_gradient"]
    assert "assign" in messages["seed_corr2d_not_differentiable"]["test_weight_gradient"]
    assert "不是输入的形状" in messages["weight_shaped_like_input"]["test_forward"]
    assert "没有属性 bias" in messages["no_bias"]["test_forward"]
    assert "trainable_variables 中有 1 个参数" in messages["bias_not_trainable"]["test_trainable_variables"]
