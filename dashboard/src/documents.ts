/** Every operation the dashboard sends, typed by codegen from Colony's schema (see ../codegen.ts). */
import { graphql } from './gql/index.js';

export const AgentCardFields = graphql(`
  fragment AgentCard on Agent {
    id
    name
    type
    status
    capabilities
    activeTaskCount
    updatedAt
  }
`);

export const TaskCardFields = graphql(`
  fragment TaskCard on Task {
    id
    title
    priority
    status
    progress
    progressMessage
    error
    reason
    updatedAt
    assignee {
      id
      name
    }
  }
`);

export const ProposalCardFields = graphql(`
  fragment ProposalCard on Proposal {
    id
    topic
    status
    threshold
    approvalRate
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

export const FeedEventFields = graphql(`
  fragment FeedEvent on Event {
    id
    type
    rooms
    timestamp
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
          ...ProposalCard
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
      ... on CustomEventPayload {
        data
      }
    }
  }
`);

export const DashboardQuery = graphql(`
  query Dashboard {
    agents(first: 100) {
      edges {
        node {
          ...AgentCard
        }
      }
    }
    tasks(first: 100) {
      edges {
        node {
          ...TaskCard
        }
      }
    }
    fleet {
      term
      leader {
        id
        name
      }
    }
    proposals(status: OPEN, first: 50) {
      edges {
        node {
          ...ProposalCard
        }
      }
    }
    alerts: eventLog(types: [ALERT_TRIGGERED], last: 20) {
      edges {
        node {
          ...FeedEvent
        }
      }
    }
    feed: eventLog(last: 60) {
      edges {
        node {
          ...FeedEvent
        }
      }
    }
  }
`);

export const DashboardStream = graphql(`
  subscription DashboardStream($since: ID) {
    eventStream(since: $since) {
      __typename
      ... on StreamPosition {
        cursor
        live
      }
      ... on Event {
        ...FeedEvent
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
