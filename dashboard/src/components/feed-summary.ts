/** The event feed's groups of types, and one line of text per event. */
import type { FeedLine } from '../fleet-state.js';
import type { EventType } from '../gql/graphql.js';

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
  elections: ['ELECTION_TRIGGERED', 'LEADER_ELECTED'],
  consensus: ['CONSENSUS_PROPOSED', 'CONSENSUS_VOTED', 'CONSENSUS_DECIDED'],
  system: ['HEALTH_CHANGED', 'METRICS_UPDATED', 'ALERT_TRIGGERED', 'CUSTOM'],
};

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
