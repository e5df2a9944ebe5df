# The notebook never finishes: an endless loop that swallows KeyboardInterrupt.
# %% append
import time
while True:
    try:
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass
