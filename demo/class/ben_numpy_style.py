# Correct too, in another style: numpy sliding windows for corr2d, a vectorised
# TF layer, and the seed's Keras Conv2D inside learn_kernel (allowed there).
# Prints and warnings on the way must not cost anything.
# %% corr2d_solution
import warnings

def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    warnings.warn("numpy version in use")
    return np.einsum("ijkl,kl->ij", windows, K)
# %% conv2d_layer_solution
class Conv2D(tf.keras.layers.Layer):
    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=self.kernel_size, initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(1,), initializer="zeros")

    def call(self, X):
        X = tf.cast(X, tf.float32)
        kh, kw = self.kernel_size
        oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
        out = tf.zeros((oh, ow))
        for a in range(kh):
            for b in range(kw):
                out += self.weight[a, b] * X[a:a + oh, b:b + ow]
        return out + self.bias
# %% learn_kernel_solution
def learn_kernel(X, Y, kernel_size, lr, num_steps):
    print("training with Keras Conv2D")
    X = tf.reshape(tf.cast(X, tf.float32), (1, *X.shape, 1))
    Y = tf.reshape(tf.cast(Y, tf.float32), (1, *Y.shape, 1))
    conv = tf.keras.layers.Conv2D(filters=1, kernel_size=kernel_size, use_bias=False)
    conv(X)
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((conv(X) - Y) ** 2)
        grad = tape.gradient(loss, conv.trainable_variables)
        conv.trainable_variables[0].assign_sub(lr * grad[0])
    return conv.get_weights()[0][:, :, 0, 0]
# %% edge_kernels_solution
def horizontal_edge_kernel():
    return np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])  # Sobel


def diagonal_edge_kernel():
    return [[0, -1], [1, 0]]
# %% convolve2d_solution
def convolve2d(X, K):
    return corr2d(X, np.flip(np.asarray(K), axis=(0, 1)))
# %% kernel_matrix_solution
def kernel_matrix(K, input_shape):
    K = np.asarray(K, dtype=np.float64)
    h, w = input_shape
    columns = []
    for n in range(h * w):
        e = np.zeros(h * w)
        e[n] = 1.0
        columns.append(np.asarray(corr2d(e.reshape(h, w), K)).reshape(-1))
    return np.stack(columns, axis=1)
# %% receptive_field_solution
def receptive_field(kernel_sizes):
    size = np.ones(2, dtype=int)
    for k in kernel_sizes:
        size += np.asarray(k) - 1
    return size
# %% why_cross_correlation
Because kernels are learned, a flipped kernel is just another kernel.
