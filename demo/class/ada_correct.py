# A correct submission, written the way the chapter suggests.
# %% corr2d_solution
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    h, w = K.shape
    rows = []
    for i in range(X.shape[0] - h + 1):
        rows.append(tf.stack([tf.reduce_sum(X[i:i + h, j:j + w] * K)
                              for j in range(X.shape[1] - w + 1)]))
    return tf.stack(rows)
# %% conv2d_layer_solution
class Conv2D(tf.keras.layers.Layer):
    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=self.kernel_size,
                                      initializer="random_normal")
        self.bias = self.add_weight(name="bias", shape=(1,), initializer="zeros")

    def call(self, X):
        return corr2d(X, self.weight) + self.bias
# %% learn_kernel_solution
def learn_kernel(X, Y, kernel_size, lr, num_steps):
    K = tf.Variable(tf.random.normal(kernel_size))
    X = tf.cast(X, tf.float32)
    Y = tf.cast(Y, tf.float32)
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((corr2d(X, K) - Y) ** 2)
        K.assign_sub(lr * tape.gradient(loss, K))
    return K
# %% edge_kernels_solution
def horizontal_edge_kernel():
    return tf.constant([[1.0], [-1.0]])


def diagonal_edge_kernel():
    return tf.constant([[0.0, 1.0], [-1.0, 0.0]])
# %% convolve2d_solution
def convolve2d(X, K):
    return corr2d(X, tf.reverse(tf.cast(K, tf.float32), axis=[0, 1]))
# %% kernel_matrix_solution
def kernel_matrix(K, input_shape):
    K = np.asarray(K, dtype=np.float64)
    h, w = input_shape
    kh, kw = K.shape
    oh, ow = h - kh + 1, w - kw + 1
    W = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    W[i * ow + j, (i + a) * w + (j + b)] = K[a, b]
    return W
# %% receptive_field_solution
def receptive_field(kernel_sizes):
    height = 1 + sum(kh - 1 for kh, kw in kernel_sizes)
    width = 1 + sum(kw - 1 for kh, kw in kernel_sizes)
    return height, width
# %% why_cross_correlation
卷积核是学出来的：卷积等于把核上下、左右翻转后的互相关，所以用互相关学到的核只是用卷积学到的核的翻转，两种层的输出完全相同。
