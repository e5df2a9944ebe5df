# Correct everywhere except that corr2d loops forever when the kernel is wider than 2:
# only the corr2d properties that meet such a kernel cannot be graded.
# %% corr2d_solution
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    h, w = K.shape
    while w > 2:
        pass
    return tf.stack([tf.stack([tf.reduce_sum(X[i:i + h, j:j + w] * K)
                               for j in range(X.shape[1] - w + 1)])
                     for i in range(X.shape[0] - h + 1)])
# %% conv2d_layer_solution
class Conv2D(tf.keras.layers.Layer):
    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=self.kernel_size, initializer="random_normal")
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
