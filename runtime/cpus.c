/*
 * cpus.c - how many CPUs this process may run on: the default number of
 * threads of a batch run (fdl_cpus_available in fdlrt.h).
 */
#define _GNU_SOURCE

#include <sched.h>
#include <unistd.h>

#include "fdlrt.h"

int fdl_cpus_available(void)
{
    /* The affinity mask, not the machine: taskset and container CPU sets
     * narrow it. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
