#include "ProcessControl.h"

#include <errno.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int seqrec_set_parent_death_signal(int signal) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL) == 0 ? 0 : errno;
#else
    (void)signal;
    return ENOSYS;
#endif
}
