# The seed's own code: corr2d with item assignment (fine on its own), a layer
# whose build() takes the kernel size (Keras passes the input shape) and cannot
# be differentiated, and gradient ascent with the update's sign flipped.
# %% corr2d_solution
def corr2d(X, K):
    h, w = K.shape
    Y = tf.Variable(tf.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1)))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j].assign(tf.cast(tf.reduce_sum(X[i:i + h, j:j + w] * K), tf.float32))
    return Y
# %% conv2d_layer_solution
class Conv2D(tf.keras.layers.Layer):
    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)

    def build(self, kernel_size):
        self.weight = self.add_weight(name="w", shape=kernel_size, initializer="random_normal")
        self.bias = self.add_weight(name="b", shape=(1,), initializer="random_normal")

    def call(self, inputs):
        return corr2d(tf.cast(inputs, tf.float32), self.weight) + self.bias
# %% learn_kernel_solution
def learn_kernel(X, Y, kernel_size, lr, num_steps):
    X = tf.reshape(tf.cast(X, tf.float32), (1, *X.shape, 1))
    Y = tf.reshape(tf.cast(Y, tf.float32), (1, *Y.shape, 1))
    conv = tf.keras.layers.Conv2D(filters=1, kernel_size=kernel_size, use_bias=False)
    conv(X)
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((conv(X) - Y) ** 2)
        grad = tape.gradient(loss, conv.trainable_variables)
        conv.trainable_variables[0].assign_add(lr * grad[0])
    return conv.get_weights()[0][:, :, 0, 0]
