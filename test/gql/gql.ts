/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment AgentFields on Agent {\n    id\n    name\n    type\n    status\n    capabilities\n    metadata\n    activeTaskCount\n    createdAt\n    updatedAt\n  }\n": typeof types.AgentFieldsFragmentDoc,
    "\n  fragment TaskFields on Task {\n    id\n    title\n    priority\n    status\n    requiredCapabilities\n    assignee {\n      id\n      name\n    }\n    input\n    progress\n    progressMessage\n    result\n    error\n    reason\n  }\n": typeof types.TaskFieldsFragmentDoc,
    "\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      ...AgentFields\n    }\n  }\n": typeof types.CreateAgentDocument,
    "\n  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {\n    updateAgent(id: $id, input: $input) {\n      ...AgentFields\n    }\n  }\n": typeof types.UpdateAgentDocument,
    "\n  mutation DeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n      status\n    }\n  }\n": typeof types.DeleteAgentDocument,
    "\n  mutation PerformAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      ...AgentFields\n    }\n  }\n": typeof types.PerformAgentActionDocument,
    "\n  query GetAgent($id: ID!) {\n    agent(id: $id) {\n      ...AgentFields\n    }\n  }\n": typeof types.GetAgentDocument,
    "\n  query ListAgents($status: AgentStatus, $type: String, $first: Int, $after: String) {\n    agents(status: $status, type: $type, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          status\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.ListAgentsDocument,
    "\n  mutation CreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      ...TaskFields\n    }\n  }\n": typeof types.CreateTaskDocument,
    "\n  mutation AssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      ...TaskFields\n    }\n  }\n": typeof types.AssignTaskDocument,
    "\n  mutation StartTask($id: ID!) {\n    startTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.StartTaskDocument,
    "\n  mutation ReportTaskProgress($id: ID!, $progress: Float!, $message: String) {\n    reportTaskProgress(id: $id, progress: $progress, message: $message) {\n      ...TaskFields\n    }\n  }\n": typeof types.ReportTaskProgressDocument,
    "\n  mutation CompleteTask($id: ID!, $result: JSON) {\n    completeTask(id: $id, result: $result) {\n      ...TaskFields\n    }\n  }\n": typeof types.CompleteTaskDocument,
    "\n  mutation FailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      ...TaskFields\n    }\n  }\n": typeof types.FailTaskDocument,
    "\n  mutation CancelTask($id: ID!, $reason: String) {\n    cancelTask(id: $id, reason: $reason) {\n      ...TaskFields\n    }\n  }\n": typeof types.CancelTaskDocument,
    "\n  query ListTasks($status: TaskStatus, $assigneeId: ID, $first: Int, $after: String) {\n    tasks(status: $status, assigneeId: $assigneeId, first: $first, after: $after) {\n      edges {\n        node {\n          id\n          status\n          assignee {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ListTasksDocument,
    "\n  mutation TriggerElection($reason: String) {\n    triggerElection(reason: $reason) {\n      id\n      term\n      reason\n      leader {\n        id\n        name\n      }\n      candidates {\n        id\n      }\n      decidedAt\n    }\n  }\n": typeof types.TriggerElectionDocument,
    "\n  query Leadership {\n    leader {\n      id\n      name\n    }\n    elections(first: 50) {\n      edges {\n        node {\n          term\n          reason\n          leader {\n            id\n          }\n        }\n      }\n    }\n    fleet {\n      term\n      leader {\n        id\n      }\n      agentsByStatus {\n        status\n        count\n      }\n      tasksByStatus {\n        status\n        count\n      }\n    }\n  }\n": typeof types.LeadershipDocument,
    "\n  mutation ProposeConsensus($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n      topic\n      value\n      status\n      threshold\n      approvalRate\n      expiresAt\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n": typeof types.ProposeConsensusDocument,
    "\n  mutation CastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n      status\n      approvalRate\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n": typeof types.CastVoteDocument,
    "\n  query GetProposal($id: ID!) {\n    proposal(id: $id) {\n      id\n      status\n    }\n    proposals(status: EXPIRED) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": typeof types.GetProposalDocument,
    "\n  mutation RaiseAlert($level: AlertLevel!, $message: String!, $details: JSON) {\n    raiseAlert(level: $level, message: $message, details: $details) {\n      id\n      level\n      message\n      details\n      at\n    }\n  }\n": typeof types.RaiseAlertDocument,
    "\n  mutation Broadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n      type\n      rooms\n      timestamp\n      source\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n": typeof types.BroadcastDocument,
    "\n  query RealtimeStats {\n    realtimeStats {\n      activeConnections\n      totalConnections\n      totalDisconnections\n      activeSubscriptions\n      rooms {\n        room\n        subscribers\n      }\n      eventsPublished\n      messagesDelivered\n    }\n  }\n": typeof types.RealtimeStatsDocument,
    "\n  subscription Gap($since: ID) {\n    events(rooms: [\"gap\"], since: $since, overflow: DROP_OLDEST) {\n      id\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n": typeof types.GapDocument,
    "\n  query GapLog($after: String, $first: Int) {\n    eventLog(rooms: [\"gap\"], after: $after, first: $first) {\n      edges {\n        node {\n          id\n          payload {\n            ... on CustomEventPayload {\n              data\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.GapLogDocument,
    "\n  subscription ClientStream($rooms: [String!], $since: ID) {\n    eventStream(rooms: $rooms, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        payload {\n          ... on CustomEventPayload {\n            data\n          }\n        }\n      }\n    }\n  }\n": typeof types.ClientStreamDocument,
    "\n  subscription Stream($rooms: [String!], $types: [EventType!], $since: ID) {\n    eventStream(rooms: $rooms, types: $types, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        type\n        rooms\n      }\n    }\n  }\n": typeof types.StreamDocument,
    "\n  query Log(\n    $rooms: [String!]\n    $types: [EventType!]\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n  ) {\n    eventLog(rooms: $rooms, types: $types, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          rooms\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.LogDocument,
    "\n  subscription Events($rooms: [String!], $types: [EventType!], $since: ID) {\n    events(rooms: $rooms, types: $types, since: $since) {\n      id\n      type\n      rooms\n      source\n      timestamp\n      payload {\n        __typename\n        ... on AgentEventPayload {\n          agent {\n            id\n            name\n            status\n          }\n          previousAgentStatus: previousStatus\n          action\n        }\n        ... on TaskEventPayload {\n          task {\n            id\n            status\n            assignee {\n              id\n            }\n          }\n          previousTaskStatus: previousStatus\n        }\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n": typeof types.EventsDocument,
};
const documents: Documents = {
    "\n  fragment AgentFields on Agent {\n    id\n    name\n    type\n    status\n    capabilities\n    metadata\n    activeTaskCount\n    createdAt\n    updatedAt\n  }\n": types.AgentFieldsFragmentDoc,
    "\n  fragment TaskFields on Task {\n    id\n    title\n    priority\n    status\n    requiredCapabilities\n    assignee {\n      id\n      name\n    }\n    input\n    progress\n    progressMessage\n    result\n    error\n    reason\n  }\n": types.TaskFieldsFragmentDoc,
    "\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      ...AgentFields\n    }\n  }\n": types.CreateAgentDocument,
    "\n  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {\n    updateAgent(id: $id, input: $input) {\n      ...AgentFields\n    }\n  }\n": types.UpdateAgentDocument,
    "\n  mutation DeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n      status\n    }\n  }\n": types.DeleteAgentDocument,
    "\n  mutation PerformAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      ...AgentFields\n    }\n  }\n": types.PerformAgentActionDocument,
    "\n  query GetAgent($id: ID!) {\n    agent(id: $id) {\n      ...AgentFields\n    }\n  }\n": types.GetAgentDocument,
    "\n  query ListAgents($status: AgentStatus, $type: String, $first: Int, $after: String) {\n    agents(status: $status, type: $type, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          status\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.ListAgentsDocument,
    "\n  mutation CreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      ...TaskFields\n    }\n  }\n": types.CreateTaskDocument,
    "\n  mutation AssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      ...TaskFields\n    }\n  }\n": types.AssignTaskDocument,
    "\n  mutation StartTask($id: ID!) {\n    startTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.StartTaskDocument,
    "\n  mutation ReportTaskProgress($id: ID!, $progress: Float!, $message: String) {\n    reportTaskProgress(id: $id, progress: $progress, message: $message) {\n      ...TaskFields\n    }\n  }\n": types.ReportTaskProgressDocument,
    "\n  mutation CompleteTask($id: ID!, $result: JSON) {\n    completeTask(id: $id, result: $result) {\n      ...TaskFields\n    }\n  }\n": types.CompleteTaskDocument,
    "\n  mutation FailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      ...TaskFields\n    }\n  }\n": types.FailTaskDocument,
    "\n  mutation CancelTask($id: ID!, $reason: String) {\n    cancelTask(id: $id, reason: $reason) {\n      ...TaskFields\n    }\n  }\n": types.CancelTaskDocument,
    "\n  query ListTasks($status: TaskStatus, $assigneeId: ID, $first: Int, $after: String) {\n    tasks(status: $status, assigneeId: $assigneeId, first: $first, after: $after) {\n      edges {\n        node {\n          id\n          status\n          assignee {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ListTasksDocument,
    "\n  mutation TriggerElection($reason: String) {\n    triggerElection(reason: $reason) {\n      id\n      term\n      reason\n      leader {\n        id\n        name\n      }\n      candidates {\n        id\n      }\n      decidedAt\n    }\n  }\n": types.TriggerElectionDocument,
    "\n  query Leadership {\n    leader {\n      id\n      name\n    }\n    elections(first: 50) {\n      edges {\n        node {\n          term\n          reason\n          leader {\n            id\n          }\n        }\n      }\n    }\n    fleet {\n      term\n      leader {\n        id\n      }\n      agentsByStatus {\n        status\n        count\n      }\n      tasksByStatus {\n        status\n        count\n      }\n    }\n  }\n": types.LeadershipDocument,
    "\n  mutation ProposeConsensus($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n      topic\n      value\n      status\n      threshold\n      approvalRate\n      expiresAt\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n": types.ProposeConsensusDocument,
    "\n  mutation CastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n      status\n      approvalRate\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n": types.CastVoteDocument,
    "\n  query GetProposal($id: ID!) {\n    proposal(id: $id) {\n      id\n      status\n    }\n    proposals(status: EXPIRED) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n": types.GetProposalDocument,
    "\n  mutation RaiseAlert($level: AlertLevel!, $message: String!, $details: JSON) {\n    raiseAlert(level: $level, message: $message, details: $details) {\n      id\n      level\n      message\n      details\n      at\n    }\n  }\n": types.RaiseAlertDocument,
    "\n  mutation Broadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n      type\n      rooms\n      timestamp\n      source\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n": types.BroadcastDocument,
    "\n  query RealtimeStats {\n    realtimeStats {\n      activeConnections\n      totalConnections\n      totalDisconnections\n      activeSubscriptions\n      rooms {\n        room\n        subscribers\n      }\n      eventsPublished\n      messagesDelivered\n    }\n  }\n": types.RealtimeStatsDocument,
    "\n  subscription Gap($since: ID) {\n    events(rooms: [\"gap\"], since: $since, overflow: DROP_OLDEST) {\n      id\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n": types.GapDocument,
    "\n  query GapLog($after: String, $first: Int) {\n    eventLog(rooms: [\"gap\"], after: $after, first: $first) {\n      edges {\n        node {\n          id\n          payload {\n            ... on CustomEventPayload {\n              data\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.GapLogDocument,
    "\n  subscription ClientStream($rooms: [String!], $since: ID) {\n    eventStream(rooms: $rooms, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        payload {\n          ... on CustomEventPayload {\n            data\n          }\n        }\n      }\n    }\n  }\n": types.ClientStreamDocument,
    "\n  subscription Stream($rooms: [String!], $types: [EventType!], $since: ID) {\n    eventStream(rooms: $rooms, types: $types, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        type\n        rooms\n      }\n    }\n  }\n": types.StreamDocument,
    "\n  query Log(\n    $rooms: [String!]\n    $types: [EventType!]\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n  ) {\n    eventLog(rooms: $rooms, types: $types, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          rooms\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.LogDocument,
    "\n  subscription Events($rooms: [String!], $types: [EventType!], $since: ID) {\n    events(rooms: $rooms, types: $types, since: $since) {\n      id\n      type\n      rooms\n      source\n      timestamp\n      payload {\n        __typename\n        ... on AgentEventPayload {\n          agent {\n            id\n            name\n            status\n          }\n          previousAgentStatus: previousStatus\n          action\n        }\n        ... on TaskEventPayload {\n          task {\n            id\n            status\n            assignee {\n              id\n            }\n          }\n          previousTaskStatus: previousStatus\n        }\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n": types.EventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AgentFields on Agent {\n    id\n    name\n    type\n    status\n    capabilities\n    metadata\n    activeTaskCount\n    createdAt\n    updatedAt\n  }\n"): (typeof documents)["\n  fragment AgentFields on Agent {\n    id\n    name\n    type\n    status\n    capabilities\n    metadata\n    activeTaskCount\n    createdAt\n    updatedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TaskFields on Task {\n    id\n    title\n    priority\n    status\n    requiredCapabilities\n    assignee {\n      id\n      name\n    }\n    input\n    progress\n    progressMessage\n    result\n    error\n    reason\n  }\n"): (typeof documents)["\n  fragment TaskFields on Task {\n    id\n    title\n    priority\n    status\n    requiredCapabilities\n    assignee {\n      id\n      name\n    }\n    input\n    progress\n    progressMessage\n    result\n    error\n    reason\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      ...AgentFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      ...AgentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {\n    updateAgent(id: $id, input: $input) {\n      ...AgentFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {\n    updateAgent(id: $id, input: $input) {\n      ...AgentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PerformAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      ...AgentFields\n    }\n  }\n"): (typeof documents)["\n  mutation PerformAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      ...AgentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GetAgent($id: ID!) {\n    agent(id: $id) {\n      ...AgentFields\n    }\n  }\n"): (typeof documents)["\n  query GetAgent($id: ID!) {\n    agent(id: $id) {\n      ...AgentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListAgents($status: AgentStatus, $type: String, $first: Int, $after: String) {\n    agents(status: $status, type: $type, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          status\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ListAgents($status: AgentStatus, $type: String, $first: Int, $after: String) {\n    agents(status: $status, type: $type, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          status\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation AssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartTask($id: ID!) {\n    startTask(id: $id) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation StartTask($id: ID!) {\n    startTask(id: $id) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportTaskProgress($id: ID!, $progress: Float!, $message: String) {\n    reportTaskProgress(id: $id, progress: $progress, message: $message) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation ReportTaskProgress($id: ID!, $progress: Float!, $message: String) {\n    reportTaskProgress(id: $id, progress: $progress, message: $message) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteTask($id: ID!, $result: JSON) {\n    completeTask(id: $id, result: $result) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation CompleteTask($id: ID!, $result: JSON) {\n    completeTask(id: $id, result: $result) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation FailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelTask($id: ID!, $reason: String) {\n    cancelTask(id: $id, reason: $reason) {\n      ...TaskFields\n    }\n  }\n"): (typeof documents)["\n  mutation CancelTask($id: ID!, $reason: String) {\n    cancelTask(id: $id, reason: $reason) {\n      ...TaskFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListTasks($status: TaskStatus, $assigneeId: ID, $first: Int, $after: String) {\n    tasks(status: $status, assigneeId: $assigneeId, first: $first, after: $after) {\n      edges {\n        node {\n          id\n          status\n          assignee {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ListTasks($status: TaskStatus, $assigneeId: ID, $first: Int, $after: String) {\n    tasks(status: $status, assigneeId: $assigneeId, first: $first, after: $after) {\n      edges {\n        node {\n          id\n          status\n          assignee {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TriggerElection($reason: String) {\n    triggerElection(reason: $reason) {\n      id\n      term\n      reason\n      leader {\n        id\n        name\n      }\n      candidates {\n        id\n      }\n      decidedAt\n    }\n  }\n"): (typeof documents)["\n  mutation TriggerElection($reason: String) {\n    triggerElection(reason: $reason) {\n      id\n      term\n      reason\n      leader {\n        id\n        name\n      }\n      candidates {\n        id\n      }\n      decidedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Leadership {\n    leader {\n      id\n      name\n    }\n    elections(first: 50) {\n      edges {\n        node {\n          term\n          reason\n          leader {\n            id\n          }\n        }\n      }\n    }\n    fleet {\n      term\n      leader {\n        id\n      }\n      agentsByStatus {\n        status\n        count\n      }\n      tasksByStatus {\n        status\n        count\n      }\n    }\n  }\n"): (typeof documents)["\n  query Leadership {\n    leader {\n      id\n      name\n    }\n    elections(first: 50) {\n      edges {\n        node {\n          term\n          reason\n          leader {\n            id\n          }\n        }\n      }\n    }\n    fleet {\n      term\n      leader {\n        id\n      }\n      agentsByStatus {\n        status\n        count\n      }\n      tasksByStatus {\n        status\n        count\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ProposeConsensus($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n      topic\n      value\n      status\n      threshold\n      approvalRate\n      expiresAt\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ProposeConsensus($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n      topic\n      value\n      status\n      threshold\n      approvalRate\n      expiresAt\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n      status\n      approvalRate\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n      status\n      approvalRate\n      votes {\n        approve\n        agent {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GetProposal($id: ID!) {\n    proposal(id: $id) {\n      id\n      status\n    }\n    proposals(status: EXPIRED) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query GetProposal($id: ID!) {\n    proposal(id: $id) {\n      id\n      status\n    }\n    proposals(status: EXPIRED) {\n      edges {\n        node {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RaiseAlert($level: AlertLevel!, $message: String!, $details: JSON) {\n    raiseAlert(level: $level, message: $message, details: $details) {\n      id\n      level\n      message\n      details\n      at\n    }\n  }\n"): (typeof documents)["\n  mutation RaiseAlert($level: AlertLevel!, $message: String!, $details: JSON) {\n    raiseAlert(level: $level, message: $message, details: $details) {\n      id\n      level\n      message\n      details\n      at\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Broadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n      type\n      rooms\n      timestamp\n      source\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Broadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n      type\n      rooms\n      timestamp\n      source\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RealtimeStats {\n    realtimeStats {\n      activeConnections\n      totalConnections\n      totalDisconnections\n      activeSubscriptions\n      rooms {\n        room\n        subscribers\n      }\n      eventsPublished\n      messagesDelivered\n    }\n  }\n"): (typeof documents)["\n  query RealtimeStats {\n    realtimeStats {\n      activeConnections\n      totalConnections\n      totalDisconnections\n      activeSubscriptions\n      rooms {\n        room\n        subscribers\n      }\n      eventsPublished\n      messagesDelivered\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Gap($since: ID) {\n    events(rooms: [\"gap\"], since: $since, overflow: DROP_OLDEST) {\n      id\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription Gap($since: ID) {\n    events(rooms: [\"gap\"], since: $since, overflow: DROP_OLDEST) {\n      id\n      payload {\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GapLog($after: String, $first: Int) {\n    eventLog(rooms: [\"gap\"], after: $after, first: $first) {\n      edges {\n        node {\n          id\n          payload {\n            ... on CustomEventPayload {\n              data\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query GapLog($after: String, $first: Int) {\n    eventLog(rooms: [\"gap\"], after: $after, first: $first) {\n      edges {\n        node {\n          id\n          payload {\n            ... on CustomEventPayload {\n              data\n            }\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClientStream($rooms: [String!], $since: ID) {\n    eventStream(rooms: $rooms, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        payload {\n          ... on CustomEventPayload {\n            data\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ClientStream($rooms: [String!], $since: ID) {\n    eventStream(rooms: $rooms, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        payload {\n          ... on CustomEventPayload {\n            data\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Stream($rooms: [String!], $types: [EventType!], $since: ID) {\n    eventStream(rooms: $rooms, types: $types, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        type\n        rooms\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription Stream($rooms: [String!], $types: [EventType!], $since: ID) {\n    eventStream(rooms: $rooms, types: $types, since: $since) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on Event {\n        id\n        type\n        rooms\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Log(\n    $rooms: [String!]\n    $types: [EventType!]\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n  ) {\n    eventLog(rooms: $rooms, types: $types, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          rooms\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Log(\n    $rooms: [String!]\n    $types: [EventType!]\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n  ) {\n    eventLog(rooms: $rooms, types: $types, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          rooms\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Events($rooms: [String!], $types: [EventType!], $since: ID) {\n    events(rooms: $rooms, types: $types, since: $since) {\n      id\n      type\n      rooms\n      source\n      timestamp\n      payload {\n        __typename\n        ... on AgentEventPayload {\n          agent {\n            id\n            name\n            status\n          }\n          previousAgentStatus: previousStatus\n          action\n        }\n        ... on TaskEventPayload {\n          task {\n            id\n            status\n            assignee {\n              id\n            }\n          }\n          previousTaskStatus: previousStatus\n        }\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription Events($rooms: [String!], $types: [EventType!], $since: ID) {\n    events(rooms: $rooms, types: $types, since: $since) {\n      id\n      type\n      rooms\n      source\n      timestamp\n      payload {\n        __typename\n        ... on AgentEventPayload {\n          agent {\n            id\n            name\n            status\n          }\n          previousAgentStatus: previousStatus\n          action\n        }\n        ... on TaskEventPayload {\n          task {\n            id\n            status\n            assignee {\n              id\n            }\n          }\n          previousTaskStatus: previousStatus\n        }\n        ... on CustomEventPayload {\n          data\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;