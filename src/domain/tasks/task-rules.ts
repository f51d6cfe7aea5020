/** The task state machine, without I/O. */
import { invalidTransition } from '../errors.js';
import type { TaskStatus } from '../model.js';

/** Statuses in which a task counts against its assignee's load. */
export const HELD_STATUSES: readonly TaskStatus[] = ['ASSIGNED', 'RUNNING'];

const ALLOWED = {
  assign: ['PENDING'],
  start: ['ASSIGNED'],
  progress: ['RUNNING'],
  complete: ['RUNNING'],
  fail: ['RUNNING'],
  cancel: ['PENDING', 'ASSIGNED', 'RUNNING'],
} as const satisfies Record<string, readonly TaskStatus[]>;

export type TaskStep = keyof typeof ALLOWED;

/** Throws INVALID_TRANSITION unless `step` applies to a task in `status`. */
export function checkStep(step: TaskStep, status: TaskStatus): void {
  const allowed: readonly TaskStatus[] = ALLOWED[step];
  if (!allowed.includes(status)) {
    throw invalidTransition(`Cannot ${step} a task that is ${status} (it must be ${allowed.join(' or ')}).`, {
      step,
      status,
    });
  }
}
