#ifndef SEQREC_PROCESS_CONTROL_H
#define SEQREC_PROCESS_CONTROL_H

// prctl(2) is variadic, which Swift cannot call: this is the one call the runner needs.

/// Asks the kernel to send `signal` to this process when its parent dies (Linux
/// PR_SET_PDEATHSIG). Returns 0, or an errno value (ENOSYS on systems without it).
int seqrec_set_parent_death_signal(int signal);

#endif
