/** The event feed's groups, and one line of text per event. */
import type { FeedLine } from '../fleet-state.js';
import type { EventType } from '../gql/graphql.js';

/** The events each group shows by type; `liveness` is decided per event (see groupOf). */
export const TYPE_GROUPS: Record<string, EventType[]> = {
  agents: ['AGENT_CREATED', 'AGENT_UPDATED', 'AGENT_DELETED', 'AGENT_STATUS_CHANGED', 'AGENT_ACTION'],
  tasks: [
    'TASK_CREATED',
    'TASK_ASSIGNED',
    'TASK_STARTED',
    'TASK_PROGRESS',
    'TASK_COMPLETED',
    'TASK_FAILED',
    'TASK_CANCELLED',
    'TASK_REQUEUED',
  ],
  liveness: [],
  elections: ['ELECTION_TRIGGERED', 'LEADER_ELECTED'],
  consensus: ['CONSENSUS_PROPOSED', 'CONSENSUS_VOTED', 'CONSENSUS_DECIDED'],
  system: ['HEALTH_CHANGED', 'METRICS_UPDATED', 'ALERT_TRIGGERED', 'CUSTOM'],
};

/** What an agent's lease running out brought: the agent taken OFFLINE, and each task it held requeued. */
export function isLiveness(e: FeedLine): boolean {
  const p = e.payload;
  return (
    (e.type === 'AGENT_STATUS_CHANGED' || e.type === 'TASK_REQUEUED') &&
    (p.__typename === 'AgentEventPayload' || p.__typename === 'TaskEventPayload') &&
    p.reason === 'LEASE_EXPIRED'
  );
}

/** The one group an event is shown in. */
export function groupOf(e: FeedLine): string {
  if (isLiveness(e)) return 'liveness';
  return Object.keys(TYPE_GROUPS).find((g) => TYPE_GROUPS[g]!.includes(e.type)) ?? 'system';
}

/** `agent:<id>`: the room of the agent a task left (a TASK_REQUEUED goes to its former assignee's). */
function agentOf(e: FeedLine): string | undefined {
  return e.rooms.find((r) => r.startsWith('agent:'))?.slice('agent:'.length);
}

/**
 * The liveness lines' text, which needs the lines around them: an expiry says how many tasks it
 * requeued (the TASK_REQUEUED events after it, in its agent's room, until that agent's next status
 * change), and a requeue names the agent whose lease ran out. `feed` is oldest first.
 */
export function livenessSummaries(feed: FeedLine[]): Map<string, string> {
  const out = new Map<string, string>();
  type Expiry = { id: string; name: string; requeued: number };
  const say = ({ id, name, requeued }: Expiry) =>
    out.set(id, `agent ${name} lease expired — ${requeued} task${requeued === 1 ? '' : 's'} requeued`);
  const expiry = new Map<string, Expiry>();
  for (const e of feed) {
    const p = e.payload;
    if (e.type === 'AGENT_STATUS_CHANGED' && p.__typename === 'AgentEventPayload') {
      const before = expiry.get(p.agent.id);
      if (before) say(before);
      if (p.reason === 'LEASE_EXPIRED') expiry.set(p.agent.id, { id: e.id, name: p.agent.name, requeued: 0 });
      else expiry.delete(p.agent.id);
    } else if (isLiveness(e) && p.__typename === 'TaskEventPayload') {
      const agentId = agentOf(e);
      const held = agentId ? expiry.get(agentId) : undefined;
      if (held) held.requeued++;
      out.set(
        e.id,
        `${p.task.title} requeued — ${held ? `agent ${held.name}'s` : "its agent's"} lease expired`,
      );
    }
  }
  for (const held of expiry.values()) say(held);
  return out;
}

export function summary(e: FeedLine): string {
  const p = e.payload;
  switch (p.__typename) {
    case 'AgentEventPayload':
      return `${p.agent.name} (${p.agent.status.toLowerCase()})`;
    case 'TaskEventPayload':
      return `${p.task.title}${p.task.progress != null ? ` · ${Math.round(p.task.progress * 100)}%` : ''}`;
    case 'ElectionEventPayload':
      return `term ${p.election.term}${p.election.leader ? ` → ${p.election.leader.name}` : ''}`;
    case 'ProposalEventPayload':
      return `${p.proposal.topic} (${p.proposal.status.toLowerCase()}, ${p.proposal.voterCount} voters)`;
    case 'AlertEventPayload':
      return p.alert.message;
    case 'CustomEventPayload':
      // Its data is any JSON, up to 64 KiB: not loaded into the feed.
      return `a message to ${e.rooms.join(', ')}`;
    default:
      return '';
  }
}
