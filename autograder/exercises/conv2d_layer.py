"""Section 5.1.4: a convolutional layer ``Conv2D(kernel_size)`` (Keras 3 layer).

The student's layer creates, when Keras builds it, a trainable ``self.weight``
of shape ``kernel_size`` and a trainable ``self.bias`` of shape (1,); its
``call(X)`` takes a 2-D input and returns ``corr2d(X, weight) + bias``,
differentiable with respect to both parameters.

One probe builds the layer, reports its parameters, sets them to given values
``W`` and ``b`` and differentiates ``loss = sum(layer(X) * G)`` with a
GradientTape, so that every check makes one call per example. References, in
float64: ``corr2d(X, W) + b`` for the output, ``corr2d(X, G)`` for dL/dweight
(each kernel entry collects the G-weighted inputs it touched) and ``sum(G)``
for dL/dbias.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ..checks import GRADING, Mismatch, call, expect_array, points, returned_array, show
from .corr2d import reference, shapes, tolerance, values

EXERCISE = "conv2d_layer"
TITLE = "5.1.2 二维卷积层 Conv2D"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习 5.1.2 节“二维卷积层”和“练习 2”：build 的参数是输入形状，weight 的形状是 kernel_size、bias 的形状是 (1,)，call 返回 corr2d(X, weight) + bias。"


# -- strategies ----------------------------------------------------------------
@st.composite
def cases(draw):
    """(X, W, b, G): input, kernel, bias and upstream gradient dL/dY, all float32."""
    h, w, kh, kw = draw(shapes())
    X = draw(arrays("float32", (h, w), elements=values("float32")))
    W = draw(arrays("float32", (kh, kw), elements=values("float32")))
    b = draw(arrays("float32", (1,), elements=values("float32")))
    G = draw(arrays("float32", (h - kh + 1, w - kw + 1), elements=values("float32")))
    return X, W, b, G


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def layer_probe(ns, X, W, b, G):
    import tensorflow as tf

    Conv2D = lookup(ns, "Conv2D")
    kernel_size = tuple(int(n) for n in W.shape)
    layer = Conv2D(kernel_size)
    x = tf.constant(X)
    layer(x)  # the first call builds the parameters

    def shape_of(value):
        try:
            return [int(n) for n in value.shape]
        except Exception:
            return None

    trainable = list(layer.trainable_variables)
    result = {"trainable_shapes": [shape_of(v) or [] for v in trainable]}
    params = {}
    for name in ("weight", "bias"):
        value = getattr(layer, name, None)
        params[name] = value
        result[name + "_exists"] = value is not None
        result[name + "_shape"] = shape_of(value) if value is not None else None
        result[name + "_trainable"] = any(value is v for v in trainable)

    # Set the parameters to the grader's values where their shapes allow it (a
    # bias of any one-element shape takes b). Without a usable weight there is
    # nothing more to learn; a missing or misshapen bias still leaves dL/dweight.
    weight, bias = params["weight"], params["bias"]
    result["weight_assigned"] = result["weight_shape"] == list(kernel_size)
    result["bias_assigned"] = (result["bias_shape"] is not None
                               and int(np.prod(result["bias_shape"])) == 1)
    if not result["weight_assigned"]:
        return result
    weight.assign(W)
    if result["bias_assigned"]:
        bias.assign(np.reshape(b, result["bias_shape"]))

    with tf.GradientTape() as tape:
        out = layer(x)
        result.update(export(out, "Y"))
        if "Y" in result and result["Y"].shape == G.shape:
            loss = tf.reduce_sum(tf.cast(out, tf.float32) * tf.constant(G))
        else:
            loss = None
    if loss is None:
        return result
    sources = {"dW": weight}
    if result["bias_assigned"]:
        sources["db"] = bias
    grads = tape.gradient(loss, list(sources.values()))
    for name, grad in zip(sources, grads):
        if grad is None:
            result[name + "_type"] = "None"
        else:
            result.update(export(tf.convert_to_tensor(grad), name))
    return result


# -- running the probe ------------------------------------------------------------
def layer_call(X, W):
    return f"layer = Conv2D({tuple(W.shape)})；layer(X)"


def run(student, X, W, b, G):
    description = (f"{layer_call(X, W)} 构建参数后，令 layer.weight = W、layer.bias = b，"
                   f"再计算 Y = layer(X)：\n{show(X=X, W=W, b=b)}\n")
    result = call(student, layer_probe, description, X=X, W=W, b=b, G=G)
    return result, description


def require_parameters(result, description, kernel_size, names=("weight", "bias")):
    """The parameters ``names`` exist with shapes that can take the given values."""
    if "weight" in names and not result.get("weight_assigned"):
        if not result["weight_exists"]:
            raise Mismatch(f"{description}→ 构建后 layer 没有属性 weight：请在 build 中用 "
                           f"self.weight = self.add_weight(...) 创建卷积核。")
        raise Mismatch(f"{description}→ layer.weight 的形状是 {tuple(result['weight_shape'] or ())}，"
                       f"应当是 kernel_size = {kernel_size}（不是输入的形状），无法赋值为 W。")
    if "bias" in names and not result.get("bias_assigned"):
        if not result["bias_exists"]:
            raise Mismatch(f"{description}→ 构建后 layer 没有属性 bias：请在 build 中用 "
                           f"self.bias = self.add_weight(...) 创建形状为 (1,) 的偏差。")
        raise Mismatch(f"{description}→ layer.bias 的形状是 {tuple(result['bias_shape'] or ())}，"
                       f"应当是 (1,)（一个标量偏差），无法赋值为 b。")


def run_gradients(student, X, W, b, G, parameter):
    """The probe's result after the stages shared by the gradient checks."""
    description = (f"{layer_call(X, W)} 构建参数后，令 layer.weight = W、layer.bias = b，"
                   f"在 tf.GradientTape 中计算 loss = tf.reduce_sum(layer(X) * G)，"
                   f"再求 tape.gradient(loss, [layer.weight, layer.bias])：\n"
                   f"{show(X=X, W=W, b=b, G=G)}\n")
    result = call(student, layer_probe, description, X=X, W=W, b=b, G=G)
    require_parameters(result, description, tuple(W.shape), ("weight", parameter))
    if "Y" not in result or result["Y"].shape != G.shape:
        shape = tuple(result["Y"].shape) if "Y" in result else result.get("Y_type", "nothing")
        raise Mismatch(f"{description}→ layer(X) 的结果是 {shape}，应当是形状为 {G.shape} 的张量，"
                       f"因此无法求梯度。")
    return result, description


def gradient(result, key, parameter, description):
    """Stage 1 for a gradient: it exists (None means the tape lost the parameter)."""
    if result.get(key + "_type") == "None":
        raise Mismatch(
            f"{description}→ 梯度是 None：GradientTape 没有记录到从 "
            f"layer.{parameter} 到输出的计算。常见原因：corr2d 中对 tf.Variable 逐元素赋值"
            f"（Y[i, j].assign(...)）会切断求导链，应当用 tf.stack 等运算构造输出；"
            f"或者 {parameter} 不是可训练参数（trainable=False），或在计算中被转成了 numpy 数组。")
    return returned_array(result, key, description)


# -- checks ----------------------------------------------------------------------
@points(2)
@settings(GRADING)
@given(case=cases())
def test_trainable_variables(student, case):
    """恰好两个可训练参数：形状为 kernel_size 的 weight 与形状为 (1,) 的 bias"""
    X, W, b, G = case
    kernel_size = tuple(W.shape)
    description = f"{layer_call(X, W)}（第一次调用时 Keras 执行 build）：\n{show(X=X)}\n"
    result = call(student, layer_probe, description, X=X, W=W, b=b, G=G)
    found = sorted(tuple(s) for s in result["trainable_shapes"])
    expected = sorted([kernel_size, (1,)])
    if found != expected:
        listed = "、".join(str(s) for s in found) or "无"
        raise Mismatch(
            f"{description}→ layer.trainable_variables 中有 {len(found)} 个参数，形状为 {listed}；"
            f"应当恰好有 2 个：形状 {kernel_size} 的 weight 和形状 (1,) 的 bias。"
            f"请用 self.add_weight(..., trainable=True) 创建它们（在 Keras 3 中，直接赋值的 "
            f"tf.Variable 不会被层记录为参数）。")
    for name, shape in (("weight", kernel_size), ("bias", (1,))):
        if not result[name + "_exists"]:
            raise Mismatch(f"{description}→ layer 没有属性 {name}。")
        if tuple(result[name + "_shape"] or ()) != shape:
            raise Mismatch(f"{description}→ layer.{name} 的形状是 {tuple(result[name + '_shape'] or ())}，"
                           f"应当是 {shape}。")
        if not result[name + "_trainable"]:
            raise Mismatch(f"{description}→ layer.{name} 不在 layer.trainable_variables 中：请用 "
                           f"self.add_weight(..., trainable=True) 创建。")


@points(3)
@settings(GRADING)
@given(case=cases())
def test_forward(student, case):
    """给定 weight 与 bias 时，输出等于 corr2d(X, weight) + bias"""
    X, W, b, G = case
    result, description = run(student, X, W, b, G)
    require_parameters(result, description, tuple(W.shape))
    Y = returned_array(result, "Y", description)
    h, w = X.shape
    kh, kw = W.shape
    expected = reference(X, W) + np.float64(b[0])
    expect_array(Y, expected, description, rtol=1e-4,
                 atol=tolerance(X, W) + 1e-4 * abs(float(b[0])),
                 explain_shape=f"（(h-kh+1, w-kw+1) = ({h}-{kh}+1, {w}-{kw}+1)）")


@points(3)
@settings(GRADING)
@given(case=cases())
def test_weight_gradient(student, case):
    """对 weight 的梯度正确：dL/dW[a, b] = sum(G * X[a:a+oh, b:b+ow])"""
    X, W, b, G = case
    result, description = run_gradients(student, X, W, b, G, "weight")
    description += "（检查对 layer.weight 的梯度）\n"
    dW = gradient(result, "dW", "weight", description)
    expect_array(dW, reference(X, G), description, rtol=1e-4,
                 atol=tolerance(X, G))


@points(2)
@settings(GRADING)
@given(case=cases())
def test_bias_gradient(student, case):
    """对 bias 的梯度等于 sum(G)"""
    X, W, b, G = case
    result, description = run_gradients(student, X, W, b, G, "bias")
    description += "（检查对 layer.bias 的梯度）\n"
    db = gradient(result, "db", "bias", description)
    if db.size == 1:
        db = db.reshape(1)  # the shape of bias is graded by test_trainable_variables
    expected = np.array([G.astype(np.float64).sum()])
    scale = G.size * float(np.max(np.abs(G), initial=0))
    expect_array(db, expected, description, rtol=1e-4,
                 atol=1e-4 * max(1.0, scale))
