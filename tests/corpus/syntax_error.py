# Expect: the corr2d cell does not compile: zero for corr2d with the
# SyntaxError in the cell's output; receptive_field (a later cell) still full marks.
# %% corr2d_solution
def corr2d(X, K)
    return X
# %% receptive_field_solution
def receptive_field(kernel_sizes):
    h, w = 1, 1
    for kh, kw in kernel_sizes:
        h, w = h + kh - 1, w + kw - 1
    return (h, w)
