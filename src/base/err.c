/* Error messages (see err.h). */
#include "base/err.h"

#include <string.h>

const char *cairn_strerror(int err)
{
	switch (err) {
	case CAIRN_OK:
		return "success";
#define X(name, msg)                                                                               \
	case CAIRN_E_##name:                                                                       \
		return msg;
		CAIRN_ERR_MAP(X)
#undef X
	default:
		break;
	}
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
