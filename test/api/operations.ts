/** The operations the tests send, typed by codegen (npm run codegen) as a client app's would be. */
import { graphql } from '../gql/index.js';

export const AgentFields = graphql(`
  fragment AgentFields on Agent {
    id
    name
    type
    status
    capabilities
    metadata
    activeTaskCount
    createdAt
    updatedAt
  }
`);

export const TaskFields = graphql(`
  fragment TaskFields on Task {
    id
    title
    priority
    status
    requiredCapabilities
    assignee {
      id
      name
    }
    input
    progress
    progressMessage
    result
    error
    reason
  }
`);

export const CreateAgent = graphql(`
  mutation CreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      ...AgentFields
    }
  }
`);

export const UpdateAgent = graphql(`
  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {
    updateAgent(id: $id, input: $input) {
      ...AgentFields
    }
  }
`);

export const DeleteAgent = graphql(`
  mutation DeleteAgent($id: ID!) {
    deleteAgent(id: $id) {
      id
      status
    }
  }
`);

export const PerformAgentAction = graphql(`
  mutation PerformAgentAction($id: ID!, $action: AgentAction!) {
    performAgentAction(id: $id, action: $action) {
      ...AgentFields
    }
  }
`);

export const GetAgent = graphql(`
  query GetAgent($id: ID!) {
    agent(id: $id) {
      ...AgentFields
    }
  }
`);

export const ListAgents = graphql(`
  query ListAgents($status: AgentStatus, $type: String, $first: Int, $after: String) {
    agents(status: $status, type: $type, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          name
          status
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

export const CreateTask = graphql(`
  mutation CreateTask($input: CreateTaskInput!) {
    createTask(input: $input) {
      ...TaskFields
    }
  }
`);

export const AssignTask = graphql(`
  mutation AssignTask($id: ID!, $agentId: ID) {
    assignTask(id: $id, agentId: $agentId) {
      ...TaskFields
    }
  }
`);

export const StartTask = graphql(`
  mutation StartTask($id: ID!) {
    startTask(id: $id) {
      ...TaskFields
    }
  }
`);

export const ReportTaskProgress = graphql(`
  mutation ReportTaskProgress($id: ID!, $progress: Float!, $message: String) {
    reportTaskProgress(id: $id, progress: $progress, message: $message) {
      ...TaskFields
    }
  }
`);

export const CompleteTask = graphql(`
  mutation CompleteTask($id: ID!, $result: JSON) {
    completeTask(id: $id, result: $result) {
      ...TaskFields
    }
  }
`);

export const FailTask = graphql(`
  mutation FailTask($id: ID!, $error: String!) {
    failTask(id: $id, error: $error) {
      ...TaskFields
    }
  }
`);

export const CancelTask = graphql(`
  mutation CancelTask($id: ID!, $reason: String) {
    cancelTask(id: $id, reason: $reason) {
      ...TaskFields
    }
  }
`);

export const ListTasks = graphql(`
  query ListTasks($status: TaskStatus, $assigneeId: ID, $first: Int, $after: String) {
    tasks(status: $status, assigneeId: $assigneeId, first: $first, after: $after) {
      edges {
        node {
          id
          status
          assignee {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const TriggerElection = graphql(`
  mutation TriggerElection($reason: String) {
    triggerElection(reason: $reason) {
      id
      term
      reason
      leader {
        id
        name
      }
      candidates {
        id
      }
      decidedAt
    }
  }
`);

export const Leadership = graphql(`
  query Leadership {
    leader {
      id
      name
    }
    elections(first: 50) {
      edges {
        node {
          term
          reason
          leader {
            id
          }
        }
      }
    }
    fleet {
      term
      leader {
        id
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
  }
`);

export const ProposeConsensus = graphql(`
  mutation ProposeConsensus($input: ProposeConsensusInput!) {
    proposeConsensus(input: $input) {
      id
      topic
      value
      status
      threshold
      approvalRate
      expiresAt
      votes {
        approve
        agent {
          id
        }
      }
    }
  }
`);

export const CastVote = graphql(`
  mutation CastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {
    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {
      id
      status
      approvalRate
      votes {
        approve
        agent {
          id
        }
      }
    }
  }
`);

export const GetProposal = graphql(`
  query GetProposal($id: ID!) {
    proposal(id: $id) {
      id
      status
    }
    proposals(status: EXPIRED) {
      edges {
        node {
          id
        }
      }
    }
  }
`);

export const RaiseAlert = graphql(`
  mutation RaiseAlert($level: AlertLevel!, $message: String!, $details: JSON) {
    raiseAlert(level: $level, message: $message, details: $details) {
      id
      level
      message
      details
      at
    }
  }
`);

export const Broadcast = graphql(`
  mutation Broadcast($room: String!, $data: JSON!) {
    broadcast(room: $room, data: $data) {
      id
      type
      rooms
      timestamp
      source
      payload {
        ... on CustomEventPayload {
          data
        }
      }
    }
  }
`);

export const RealtimeStatsQuery = graphql(`
  query RealtimeStats {
    realtimeStats {
      activeConnections
      totalConnections
      totalDisconnections
      activeSubscriptions
      rooms {
        room
        subscribers
      }
      eventsPublished
      messagesDelivered
    }
  }
`);
