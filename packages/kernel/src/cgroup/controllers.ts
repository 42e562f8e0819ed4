/**
 * The controllers of the modelled v2 hierarchy (include/linux/cgroup_subsys.h
 * order) and the limits' "max": data shared by the hierarchy and its files.
 */
export type Controller = 'cpu' | 'memory' | 'pids';
/** The modelled controllers in subsystem-id order (cgroup_subsys.h), as cgroup.controllers lists them. */
export const CONTROLLERS: readonly Controller[] = ['cpu', 'memory', 'pids'];
/** cgrp_dfl_threaded_ss_mask: controllers that tolerate processes beside child cgroups. */
export const THREADED: ReadonlySet<Controller> = new Set(['cpu', 'pids']);
/** Subsystems of the v2 hierarchy cgroup.stat counts (perf_event is there implicitly). */
export const STAT_SUBSYS = ['cpu', 'memory', 'perf_event', 'pids'] as const;

/** max.depth / max.descendants "max" (INT_MAX). */
export const INT_MAX = 0x7fffffff;
