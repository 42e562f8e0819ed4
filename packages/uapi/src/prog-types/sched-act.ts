/**
 * BPF_PROG_TYPE_SCHED_ACT: the same tc_cls_act_verifier_ops as sched_cls (net/core/filter.c), so the
 * same context fields, helpers and rules; only the type differs.
 */
import { BpfProgType } from '../enums';
import { schedCls } from './sched-cls';
import type { ProgTypeInfo } from './types';

export const schedAct: ProgTypeInfo = Object.freeze<ProgTypeInfo>({ ...schedCls, type: BpfProgType.SCHED_ACT, name: 'sched_act' });
