import type { Task } from '../model.js';

/** Room names: 1–128 characters of letters, digits and `:_.-`. */
export const ROOM_NAME = /^[A-Za-z0-9:_.-]{1,128}$/;

export function isRoomName(room: string): boolean {
  return ROOM_NAME.test(room);
}

/** The rooms each kind of event goes to, declared once. */
export const rooms = {
  agents: 'agents',
  agent: (agentId: string) => `agent:${agentId}`,
  tasks: 'tasks',
  task: (taskId: string) => `task:${taskId}`,
  coordination: 'coordination',
  system: 'system',

  ofAgent(agentId: string): string[] {
    return [rooms.agents, rooms.agent(agentId)];
  },
  /** A task's rooms, plus its assignee's while it has one (or `formerAssigneeId` as it leaves). */
  ofTask(task: Pick<Task, 'id' | 'assigneeId'>, formerAssigneeId?: string | null): string[] {
    const list = [rooms.tasks, rooms.task(task.id)];
    const agentId = task.assigneeId ?? formerAssigneeId;
    if (agentId) list.push(rooms.agent(agentId));
    return list;
  },
} as const;
