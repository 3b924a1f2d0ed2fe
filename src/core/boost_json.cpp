// Debian's Boost 1.81 ships no compiled Boost.JSON library, so the one copy of its
// implementation lives in this translation unit.
#include <boost/json/src.hpp>
