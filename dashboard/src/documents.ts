/** Every operation the dashboard sends, typed by codegen from Colony's schema (see ../codegen.ts). */
import { graphql } from './gql/index.js';

/*
 * What the dashboard reads, kept small so that every document fits the default limits with room to
 * spare (the tests run the page with GRAPHQL_MAX_COST at a quarter of its default): counts come from
 * the server, lists come a page (25) at a time per column, the first screen asks for no JSON field,
 * and the live stream carries one event at a time.
 */

export const AgentCardFields = graphql(`
  fragment AgentCard on Agent {
    id
    name
    type
    status
    activeTaskCount
    updatedAt
    # Liveness: null for an agent that never held a lease (its card shows none).
    lastSeenAt
    leaseExpiresAt
    leaseState
  }
`);

export const TaskCardFields = graphql(`
  fragment TaskCard on Task {
    id
    title
    priority
    status
    progress
    error
    attempt
    updatedAt
    assignee {
      id
      name
      activeTaskCount
    }
  }
`);

export const ProposalCardFields = graphql(`
  fragment ProposalCard on Proposal {
    id
    topic
    status
    threshold
    voterIds
    voterCount
    expiresAt
    votes {
      approve
      agent {
        id
        name
      }
    }
  }
`);

export const FleetCountsFields = graphql(`
  fragment FleetCounts on FleetStats {
    term
    leader {
      id
      name
    }
    agentsByStatus {
      status
      count
    }
    tasksByStatus {
      status
      count
    }
  }
`);

/** One line of the event feed: what happened to what, without the records' full snapshots. */
export const FeedLineFields = graphql(`
  fragment FeedLine on Event {
    id
    type
    rooms
    timestamp
    payload {
      __typename
      ... on AgentEventPayload {
        reason
        agent {
          id
          name
          status
        }
      }
      ... on TaskEventPayload {
        reason
        task {
          id
          title
          status
          progress
        }
      }
      ... on ElectionEventPayload {
        election {
          id
          term
          leader {
            id
            name
          }
        }
      }
      ... on ProposalEventPayload {
        proposal {
          id
          topic
          status
          voterCount
        }
      }
      ... on AlertEventPayload {
        alert {
          id
          level
          message
          at
        }
      }
    }
  }
`);

/** A live event: its feed line, plus the snapshot of what changed, to update the views. */
export const StreamEventFields = graphql(`
  fragment StreamEvent on Event {
    ...FeedLine
    payload {
      __typename
      ... on AgentEventPayload {
        agent {
          ...AgentCard
        }
      }
      ... on TaskEventPayload {
        task {
          ...TaskCard
        }
      }
      ... on ProposalEventPayload {
        proposal {
          ...ProposalCard
        }
      }
    }
  }
`);

/** The first screen's figures: counts, leader, the first open proposals. */
export const DashboardOverview = graphql(`
  query DashboardOverview {
    fleet {
      ...FleetCounts
    }
    proposals(status: OPEN, first: 3) {
      pageInfo {
        hasNextPage
      }
      edges {
        node {
          ...ProposalCard
        }
      }
    }
  }
`);

/** The latest alerts. */
export const DashboardAlerts = graphql(`
  query DashboardAlerts {
    eventLog(types: [ALERT_TRIGGERED], last: 10) {
      edges {
        node {
          id
          payload {
            __typename
            ... on AlertEventPayload {
              alert {
                id
                level
                message
                at
              }
            }
          }
        }
      }
    }
  }
`);

/** The latest events, for the feed. */
export const DashboardFeed = graphql(`
  query DashboardFeed {
    eventLog(last: 25) {
      edges {
        node {
          ...FeedLine
        }
      }
    }
  }
`);

/** The counts again, after changes: a few fields, asked at most a few times a second. */
export const DashboardCounts = graphql(`
  query DashboardCounts {
    fleet {
      ...FleetCounts
    }
  }
`);

/**
 * The agents whose lease holds now (how many, and the first 100): a lease that begins, and each
 * renewal, publish no event, so the page asks this now and then to show who is live and when each
 * was last seen.
 */
export const DashboardPresence = graphql(`
  query DashboardPresence {
    fleet {
      liveAgents
    }
    presence(first: 100) {
      agent {
        id
      }
      lastSeenAt
      leaseExpiresAt
    }
  }
`);

/** One page of one agent column. */
export const DashboardAgents = graphql(`
  query DashboardAgents($status: AgentStatus!, $after: String) {
    agents(status: $status, first: 25, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...AgentCard
        }
      }
    }
  }
`);

/** One page of one task column. */
export const DashboardTasks = graphql(`
  query DashboardTasks($status: TaskStatus!, $after: String) {
    tasks(status: $status, first: 25, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...TaskCard
        }
      }
    }
  }
`);

export const DashboardStream = graphql(`
  subscription DashboardStream($since: ID) {
    eventStream(since: $since, overflow: COALESCE) {
      __typename
      ... on StreamPosition {
        cursor
        live
      }
      ... on EventsDropped {
        count
      }
      ... on Event {
        ...StreamEvent
      }
    }
  }
`);

export const CreateAgent = graphql(`
  mutation DashboardCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      id
    }
  }
`);

export const AgentAction = graphql(`
  mutation DashboardAgentAction($id: ID!, $action: AgentAction!) {
    performAgentAction(id: $id, action: $action) {
      id
    }
  }
`);

export const DeleteAgent = graphql(`
  mutation DashboardDeleteAgent($id: ID!) {
    deleteAgent(id: $id) {
      id
    }
  }
`);

export const CreateTask = graphql(`
  mutation DashboardCreateTask($input: CreateTaskInput!) {
    createTask(input: $input) {
      id
    }
  }
`);

export const AssignTask = graphql(`
  mutation DashboardAssignTask($id: ID!, $agentId: ID) {
    assignTask(id: $id, agentId: $agentId) {
      id
    }
  }
`);

export const StartTask = graphql(`
  mutation DashboardStartTask($id: ID!) {
    startTask(id: $id) {
      id
    }
  }
`);

export const ReportProgress = graphql(`
  mutation DashboardReportProgress($id: ID!, $progress: Float!) {
    reportTaskProgress(id: $id, progress: $progress) {
      id
    }
  }
`);

export const CompleteTask = graphql(`
  mutation DashboardCompleteTask($id: ID!) {
    completeTask(id: $id) {
      id
    }
  }
`);

export const FailTask = graphql(`
  mutation DashboardFailTask($id: ID!, $error: String!) {
    failTask(id: $id, error: $error) {
      id
    }
  }
`);

export const CancelTask = graphql(`
  mutation DashboardCancelTask($id: ID!) {
    cancelTask(id: $id, reason: "cancelled from the dashboard") {
      id
    }
  }
`);

export const TriggerElection = graphql(`
  mutation DashboardTriggerElection {
    triggerElection(reason: "requested from the dashboard") {
      term
    }
  }
`);

export const ProposeConsensus = graphql(`
  mutation DashboardPropose($input: ProposeConsensusInput!) {
    proposeConsensus(input: $input) {
      id
    }
  }
`);

export const CastVote = graphql(`
  mutation DashboardCastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {
    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {
      id
    }
  }
`);

export const Broadcast = graphql(`
  mutation DashboardBroadcast($room: String!, $data: JSON!) {
    broadcast(room: $room, data: $data) {
      id
    }
  }
`);

export const RenewSession = graphql(`
  mutation DashboardRenewSession($token: String!) {
    renewSession(token: $token) {
      sub
      roles
      expiresAt
    }
  }
`);
