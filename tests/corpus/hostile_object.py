# Expect: the returned object's hostile methods run only in the sandbox (the
# grader receives a type name); corr2d scores zero with a message naming the
# type, and nothing named "pwned" appears outside the sandbox.
# %% corr2d_solution
import os

class Evil:
    def __repr__(self):
        os.system("touch /tmp/pwned-repr")
        raise RuntimeError("repr")
    def __eq__(self, other):
        os.system("touch /tmp/pwned-eq")
        return True
    def __array__(self, *args, **kwargs):
        os.system("touch /tmp/pwned-array")
        raise RuntimeError("no array")
    def __float__(self):
        return 1.0
    def __len__(self):
        return 10 ** 12
    def __iter__(self):
        while True:
            yield self
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-pickle",))
    def numpy(self):
        return self

def corr2d(X, K):
    loop = []
    loop.append(loop)
    return Evil() if K.shape[0] > 1 else loop
