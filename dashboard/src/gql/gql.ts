/* eslint-disable */
import * as types from './graphql';
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
    "\n  fragment AgentCard on Agent {\n    id\n    name\n    type\n    status\n    activeTaskCount\n    updatedAt\n    # Liveness: null for an agent that never held a lease (its card shows none).\n    lastSeenAt\n    leaseExpiresAt\n    leaseState\n  }\n": typeof types.AgentCardFragmentDoc,
    "\n  fragment TaskCard on Task {\n    id\n    title\n    priority\n    status\n    progress\n    error\n    attempt\n    updatedAt\n    assignee {\n      id\n      name\n      activeTaskCount\n    }\n  }\n": typeof types.TaskCardFragmentDoc,
    "\n  fragment ProposalCard on Proposal {\n    id\n    topic\n    status\n    threshold\n    voterIds\n    voterCount\n    expiresAt\n    votes {\n      approve\n      agent {\n        id\n        name\n      }\n    }\n  }\n": typeof types.ProposalCardFragmentDoc,
    "\n  fragment FleetCounts on FleetStats {\n    term\n    leader {\n      id\n      name\n    }\n    agentsByStatus {\n      status\n      count\n    }\n    tasksByStatus {\n      status\n      count\n    }\n  }\n": typeof types.FleetCountsFragmentDoc,
    "\n  fragment FeedLine on Event {\n    id\n    type\n    rooms\n    timestamp\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        reason\n        agent {\n          id\n          name\n          status\n        }\n      }\n      ... on TaskEventPayload {\n        reason\n        task {\n          id\n          title\n          status\n          progress\n        }\n      }\n      ... on ElectionEventPayload {\n        election {\n          id\n          term\n          leader {\n            id\n            name\n          }\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          id\n          topic\n          status\n          voterCount\n        }\n      }\n      ... on AlertEventPayload {\n        alert {\n          id\n          level\n          message\n          at\n        }\n      }\n    }\n  }\n": typeof types.FeedLineFragmentDoc,
    "\n  fragment StreamEvent on Event {\n    ...FeedLine\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        agent {\n          ...AgentCard\n        }\n      }\n      ... on TaskEventPayload {\n        task {\n          ...TaskCard\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n": typeof types.StreamEventFragmentDoc,
    "\n  query DashboardOverview {\n    fleet {\n      ...FleetCounts\n    }\n    proposals(status: OPEN, first: 3) {\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n": typeof types.DashboardOverviewDocument,
    "\n  query DashboardAlerts {\n    eventLog(types: [ALERT_TRIGGERED], last: 10) {\n      edges {\n        node {\n          id\n          payload {\n            __typename\n            ... on AlertEventPayload {\n              alert {\n                id\n                level\n                message\n                at\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.DashboardAlertsDocument,
    "\n  query DashboardFeed {\n    eventLog(last: 25) {\n      edges {\n        node {\n          ...FeedLine\n        }\n      }\n    }\n  }\n": typeof types.DashboardFeedDocument,
    "\n  query DashboardCounts {\n    fleet {\n      ...FleetCounts\n    }\n  }\n": typeof types.DashboardCountsDocument,
    "\n  query DashboardPresence {\n    fleet {\n      liveAgents\n    }\n    presence(first: 100) {\n      agent {\n        id\n      }\n      lastSeenAt\n      leaseExpiresAt\n    }\n  }\n": typeof types.DashboardPresenceDocument,
    "\n  query DashboardAgents($status: AgentStatus!, $after: String) {\n    agents(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...AgentCard\n        }\n      }\n    }\n  }\n": typeof types.DashboardAgentsDocument,
    "\n  query DashboardTasks($status: TaskStatus!, $after: String) {\n    tasks(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskCard\n        }\n      }\n    }\n  }\n": typeof types.DashboardTasksDocument,
    "\n  subscription DashboardStream($since: ID) {\n    eventStream(since: $since, overflow: COALESCE) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on EventsDropped {\n        count\n      }\n      ... on Event {\n        ...StreamEvent\n      }\n    }\n  }\n": typeof types.DashboardStreamDocument,
    "\n  mutation DashboardCreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      id\n    }\n  }\n": typeof types.DashboardCreateAgentDocument,
    "\n  mutation DashboardAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      id\n    }\n  }\n": typeof types.DashboardAgentActionDocument,
    "\n  mutation DashboardDeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n    }\n  }\n": typeof types.DashboardDeleteAgentDocument,
    "\n  mutation DashboardCreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      id\n    }\n  }\n": typeof types.DashboardCreateTaskDocument,
    "\n  mutation DashboardAssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      id\n    }\n  }\n": typeof types.DashboardAssignTaskDocument,
    "\n  mutation DashboardStartTask($id: ID!) {\n    startTask(id: $id) {\n      id\n    }\n  }\n": typeof types.DashboardStartTaskDocument,
    "\n  mutation DashboardReportProgress($id: ID!, $progress: Float!) {\n    reportTaskProgress(id: $id, progress: $progress) {\n      id\n    }\n  }\n": typeof types.DashboardReportProgressDocument,
    "\n  mutation DashboardCompleteTask($id: ID!) {\n    completeTask(id: $id) {\n      id\n    }\n  }\n": typeof types.DashboardCompleteTaskDocument,
    "\n  mutation DashboardFailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      id\n    }\n  }\n": typeof types.DashboardFailTaskDocument,
    "\n  mutation DashboardCancelTask($id: ID!) {\n    cancelTask(id: $id, reason: \"cancelled from the dashboard\") {\n      id\n    }\n  }\n": typeof types.DashboardCancelTaskDocument,
    "\n  mutation DashboardTriggerElection {\n    triggerElection(reason: \"requested from the dashboard\") {\n      term\n    }\n  }\n": typeof types.DashboardTriggerElectionDocument,
    "\n  mutation DashboardPropose($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n    }\n  }\n": typeof types.DashboardProposeDocument,
    "\n  mutation DashboardCastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n    }\n  }\n": typeof types.DashboardCastVoteDocument,
    "\n  mutation DashboardBroadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n    }\n  }\n": typeof types.DashboardBroadcastDocument,
    "\n  mutation DashboardRenewSession($token: String!) {\n    renewSession(token: $token) {\n      sub\n      roles\n      expiresAt\n    }\n  }\n": typeof types.DashboardRenewSessionDocument,
};
const documents: Documents = {
    "\n  fragment AgentCard on Agent {\n    id\n    name\n    type\n    status\n    activeTaskCount\n    updatedAt\n    # Liveness: null for an agent that never held a lease (its card shows none).\n    lastSeenAt\n    leaseExpiresAt\n    leaseState\n  }\n": types.AgentCardFragmentDoc,
    "\n  fragment TaskCard on Task {\n    id\n    title\n    priority\n    status\n    progress\n    error\n    attempt\n    updatedAt\n    assignee {\n      id\n      name\n      activeTaskCount\n    }\n  }\n": types.TaskCardFragmentDoc,
    "\n  fragment ProposalCard on Proposal {\n    id\n    topic\n    status\n    threshold\n    voterIds\n    voterCount\n    expiresAt\n    votes {\n      approve\n      agent {\n        id\n        name\n      }\n    }\n  }\n": types.ProposalCardFragmentDoc,
    "\n  fragment FleetCounts on FleetStats {\n    term\n    leader {\n      id\n      name\n    }\n    agentsByStatus {\n      status\n      count\n    }\n    tasksByStatus {\n      status\n      count\n    }\n  }\n": types.FleetCountsFragmentDoc,
    "\n  fragment FeedLine on Event {\n    id\n    type\n    rooms\n    timestamp\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        reason\n        agent {\n          id\n          name\n          status\n        }\n      }\n      ... on TaskEventPayload {\n        reason\n        task {\n          id\n          title\n          status\n          progress\n        }\n      }\n      ... on ElectionEventPayload {\n        election {\n          id\n          term\n          leader {\n            id\n            name\n          }\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          id\n          topic\n          status\n          voterCount\n        }\n      }\n      ... on AlertEventPayload {\n        alert {\n          id\n          level\n          message\n          at\n        }\n      }\n    }\n  }\n": types.FeedLineFragmentDoc,
    "\n  fragment StreamEvent on Event {\n    ...FeedLine\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        agent {\n          ...AgentCard\n        }\n      }\n      ... on TaskEventPayload {\n        task {\n          ...TaskCard\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n": types.StreamEventFragmentDoc,
    "\n  query DashboardOverview {\n    fleet {\n      ...FleetCounts\n    }\n    proposals(status: OPEN, first: 3) {\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n": types.DashboardOverviewDocument,
    "\n  query DashboardAlerts {\n    eventLog(types: [ALERT_TRIGGERED], last: 10) {\n      edges {\n        node {\n          id\n          payload {\n            __typename\n            ... on AlertEventPayload {\n              alert {\n                id\n                level\n                message\n                at\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.DashboardAlertsDocument,
    "\n  query DashboardFeed {\n    eventLog(last: 25) {\n      edges {\n        node {\n          ...FeedLine\n        }\n      }\n    }\n  }\n": types.DashboardFeedDocument,
    "\n  query DashboardCounts {\n    fleet {\n      ...FleetCounts\n    }\n  }\n": types.DashboardCountsDocument,
    "\n  query DashboardPresence {\n    fleet {\n      liveAgents\n    }\n    presence(first: 100) {\n      agent {\n        id\n      }\n      lastSeenAt\n      leaseExpiresAt\n    }\n  }\n": types.DashboardPresenceDocument,
    "\n  query DashboardAgents($status: AgentStatus!, $after: String) {\n    agents(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...AgentCard\n        }\n      }\n    }\n  }\n": types.DashboardAgentsDocument,
    "\n  query DashboardTasks($status: TaskStatus!, $after: String) {\n    tasks(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskCard\n        }\n      }\n    }\n  }\n": types.DashboardTasksDocument,
    "\n  subscription DashboardStream($since: ID) {\n    eventStream(since: $since, overflow: COALESCE) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on EventsDropped {\n        count\n      }\n      ... on Event {\n        ...StreamEvent\n      }\n    }\n  }\n": types.DashboardStreamDocument,
    "\n  mutation DashboardCreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      id\n    }\n  }\n": types.DashboardCreateAgentDocument,
    "\n  mutation DashboardAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      id\n    }\n  }\n": types.DashboardAgentActionDocument,
    "\n  mutation DashboardDeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n    }\n  }\n": types.DashboardDeleteAgentDocument,
    "\n  mutation DashboardCreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      id\n    }\n  }\n": types.DashboardCreateTaskDocument,
    "\n  mutation DashboardAssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      id\n    }\n  }\n": types.DashboardAssignTaskDocument,
    "\n  mutation DashboardStartTask($id: ID!) {\n    startTask(id: $id) {\n      id\n    }\n  }\n": types.DashboardStartTaskDocument,
    "\n  mutation DashboardReportProgress($id: ID!, $progress: Float!) {\n    reportTaskProgress(id: $id, progress: $progress) {\n      id\n    }\n  }\n": types.DashboardReportProgressDocument,
    "\n  mutation DashboardCompleteTask($id: ID!) {\n    completeTask(id: $id) {\n      id\n    }\n  }\n": types.DashboardCompleteTaskDocument,
    "\n  mutation DashboardFailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      id\n    }\n  }\n": types.DashboardFailTaskDocument,
    "\n  mutation DashboardCancelTask($id: ID!) {\n    cancelTask(id: $id, reason: \"cancelled from the dashboard\") {\n      id\n    }\n  }\n": types.DashboardCancelTaskDocument,
    "\n  mutation DashboardTriggerElection {\n    triggerElection(reason: \"requested from the dashboard\") {\n      term\n    }\n  }\n": types.DashboardTriggerElectionDocument,
    "\n  mutation DashboardPropose($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n    }\n  }\n": types.DashboardProposeDocument,
    "\n  mutation DashboardCastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n    }\n  }\n": types.DashboardCastVoteDocument,
    "\n  mutation DashboardBroadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n    }\n  }\n": types.DashboardBroadcastDocument,
    "\n  mutation DashboardRenewSession($token: String!) {\n    renewSession(token: $token) {\n      sub\n      roles\n      expiresAt\n    }\n  }\n": types.DashboardRenewSessionDocument,
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
export function graphql(source: "\n  fragment AgentCard on Agent {\n    id\n    name\n    type\n    status\n    activeTaskCount\n    updatedAt\n    # Liveness: null for an agent that never held a lease (its card shows none).\n    lastSeenAt\n    leaseExpiresAt\n    leaseState\n  }\n"): (typeof documents)["\n  fragment AgentCard on Agent {\n    id\n    name\n    type\n    status\n    activeTaskCount\n    updatedAt\n    # Liveness: null for an agent that never held a lease (its card shows none).\n    lastSeenAt\n    leaseExpiresAt\n    leaseState\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TaskCard on Task {\n    id\n    title\n    priority\n    status\n    progress\n    error\n    attempt\n    updatedAt\n    assignee {\n      id\n      name\n      activeTaskCount\n    }\n  }\n"): (typeof documents)["\n  fragment TaskCard on Task {\n    id\n    title\n    priority\n    status\n    progress\n    error\n    attempt\n    updatedAt\n    assignee {\n      id\n      name\n      activeTaskCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProposalCard on Proposal {\n    id\n    topic\n    status\n    threshold\n    voterIds\n    voterCount\n    expiresAt\n    votes {\n      approve\n      agent {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment ProposalCard on Proposal {\n    id\n    topic\n    status\n    threshold\n    voterIds\n    voterCount\n    expiresAt\n    votes {\n      approve\n      agent {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment FleetCounts on FleetStats {\n    term\n    leader {\n      id\n      name\n    }\n    agentsByStatus {\n      status\n      count\n    }\n    tasksByStatus {\n      status\n      count\n    }\n  }\n"): (typeof documents)["\n  fragment FleetCounts on FleetStats {\n    term\n    leader {\n      id\n      name\n    }\n    agentsByStatus {\n      status\n      count\n    }\n    tasksByStatus {\n      status\n      count\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment FeedLine on Event {\n    id\n    type\n    rooms\n    timestamp\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        reason\n        agent {\n          id\n          name\n          status\n        }\n      }\n      ... on TaskEventPayload {\n        reason\n        task {\n          id\n          title\n          status\n          progress\n        }\n      }\n      ... on ElectionEventPayload {\n        election {\n          id\n          term\n          leader {\n            id\n            name\n          }\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          id\n          topic\n          status\n          voterCount\n        }\n      }\n      ... on AlertEventPayload {\n        alert {\n          id\n          level\n          message\n          at\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment FeedLine on Event {\n    id\n    type\n    rooms\n    timestamp\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        reason\n        agent {\n          id\n          name\n          status\n        }\n      }\n      ... on TaskEventPayload {\n        reason\n        task {\n          id\n          title\n          status\n          progress\n        }\n      }\n      ... on ElectionEventPayload {\n        election {\n          id\n          term\n          leader {\n            id\n            name\n          }\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          id\n          topic\n          status\n          voterCount\n        }\n      }\n      ... on AlertEventPayload {\n        alert {\n          id\n          level\n          message\n          at\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StreamEvent on Event {\n    ...FeedLine\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        agent {\n          ...AgentCard\n        }\n      }\n      ... on TaskEventPayload {\n        task {\n          ...TaskCard\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment StreamEvent on Event {\n    ...FeedLine\n    payload {\n      __typename\n      ... on AgentEventPayload {\n        agent {\n          ...AgentCard\n        }\n      }\n      ... on TaskEventPayload {\n        task {\n          ...TaskCard\n        }\n      }\n      ... on ProposalEventPayload {\n        proposal {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardOverview {\n    fleet {\n      ...FleetCounts\n    }\n    proposals(status: OPEN, first: 3) {\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardOverview {\n    fleet {\n      ...FleetCounts\n    }\n    proposals(status: OPEN, first: 3) {\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          ...ProposalCard\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardAlerts {\n    eventLog(types: [ALERT_TRIGGERED], last: 10) {\n      edges {\n        node {\n          id\n          payload {\n            __typename\n            ... on AlertEventPayload {\n              alert {\n                id\n                level\n                message\n                at\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardAlerts {\n    eventLog(types: [ALERT_TRIGGERED], last: 10) {\n      edges {\n        node {\n          id\n          payload {\n            __typename\n            ... on AlertEventPayload {\n              alert {\n                id\n                level\n                message\n                at\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardFeed {\n    eventLog(last: 25) {\n      edges {\n        node {\n          ...FeedLine\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardFeed {\n    eventLog(last: 25) {\n      edges {\n        node {\n          ...FeedLine\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardCounts {\n    fleet {\n      ...FleetCounts\n    }\n  }\n"): (typeof documents)["\n  query DashboardCounts {\n    fleet {\n      ...FleetCounts\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardPresence {\n    fleet {\n      liveAgents\n    }\n    presence(first: 100) {\n      agent {\n        id\n      }\n      lastSeenAt\n      leaseExpiresAt\n    }\n  }\n"): (typeof documents)["\n  query DashboardPresence {\n    fleet {\n      liveAgents\n    }\n    presence(first: 100) {\n      agent {\n        id\n      }\n      lastSeenAt\n      leaseExpiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardAgents($status: AgentStatus!, $after: String) {\n    agents(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...AgentCard\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardAgents($status: AgentStatus!, $after: String) {\n    agents(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...AgentCard\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardTasks($status: TaskStatus!, $after: String) {\n    tasks(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskCard\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardTasks($status: TaskStatus!, $after: String) {\n    tasks(status: $status, first: 25, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskCard\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardStream($since: ID) {\n    eventStream(since: $since, overflow: COALESCE) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on EventsDropped {\n        count\n      }\n      ... on Event {\n        ...StreamEvent\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription DashboardStream($since: ID) {\n    eventStream(since: $since, overflow: COALESCE) {\n      __typename\n      ... on StreamPosition {\n        cursor\n        live\n      }\n      ... on EventsDropped {\n        count\n      }\n      ... on Event {\n        ...StreamEvent\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardCreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardCreateAgent($input: CreateAgentInput!) {\n    createAgent(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardAgentAction($id: ID!, $action: AgentAction!) {\n    performAgentAction(id: $id, action: $action) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardDeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardDeleteAgent($id: ID!) {\n    deleteAgent(id: $id) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardCreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardCreateTask($input: CreateTaskInput!) {\n    createTask(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardAssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardAssignTask($id: ID!, $agentId: ID) {\n    assignTask(id: $id, agentId: $agentId) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardStartTask($id: ID!) {\n    startTask(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardStartTask($id: ID!) {\n    startTask(id: $id) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardReportProgress($id: ID!, $progress: Float!) {\n    reportTaskProgress(id: $id, progress: $progress) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardReportProgress($id: ID!, $progress: Float!) {\n    reportTaskProgress(id: $id, progress: $progress) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardCompleteTask($id: ID!) {\n    completeTask(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardCompleteTask($id: ID!) {\n    completeTask(id: $id) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardFailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardFailTask($id: ID!, $error: String!) {\n    failTask(id: $id, error: $error) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardCancelTask($id: ID!) {\n    cancelTask(id: $id, reason: \"cancelled from the dashboard\") {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardCancelTask($id: ID!) {\n    cancelTask(id: $id, reason: \"cancelled from the dashboard\") {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardTriggerElection {\n    triggerElection(reason: \"requested from the dashboard\") {\n      term\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardTriggerElection {\n    triggerElection(reason: \"requested from the dashboard\") {\n      term\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardPropose($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardPropose($input: ProposeConsensusInput!) {\n    proposeConsensus(input: $input) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardCastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardCastVote($proposalId: ID!, $agentId: ID!, $approve: Boolean!) {\n    castVote(proposalId: $proposalId, agentId: $agentId, approve: $approve) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardBroadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardBroadcast($room: String!, $data: JSON!) {\n    broadcast(room: $room, data: $data) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DashboardRenewSession($token: String!) {\n    renewSession(token: $token) {\n      sub\n      roles\n      expiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation DashboardRenewSession($token: String!) {\n    renewSession(token: $token) {\n      sub\n      roles\n      expiresAt\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;