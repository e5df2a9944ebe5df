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
