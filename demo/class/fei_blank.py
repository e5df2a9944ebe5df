# Submitted the release unchanged: every stub still raises NotImplementedError.
