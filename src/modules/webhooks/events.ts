/**
 * The event types a subscription may name. Job events are queued by the job store in the
 * transaction that changes the job (src/ports/job-store.ts); their payload is defined once in
 * src/ports/job-events.ts. webhook.test is sent by the test route to one subscription.
 */
import { JOB_EVENT_TYPES } from "../../ports/job-events";
import { newId } from "../../lib/ids";

export { JOB_EVENT_TYPES, eventTimestamp, type JobEventType } from "../../ports/job-events";

export const EVENT_TYPES: readonly string[] = [...JOB_EVENT_TYPES, "webhook.test"];

export const newEventId = () => newId("evt");
