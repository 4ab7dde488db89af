// zlib, for the report's compressed trajectories (Debian: zlib1g-dev, already pulled in by libcurl).
#include <zlib.h>
