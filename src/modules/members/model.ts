/** Team members: who belongs to a team and with which role. */
import * as v from "valibot";
import { ROLES } from "../auth/permissions";

export { ErrorResponse } from "../ocr/model";

export const TeamPathParams = v.object({ organization_id: v.string(), team_id: v.string() });
export const MemberPathParams = v.object({ organization_id: v.string(), team_id: v.string(), user_id: v.string() });

export const Member = v.object({
  user_id: v.string(),
  email: v.string(),
  name: v.string(),
  role: v.picklist(ROLES),
  created_at: v.string(),
});

export const MemberListResponse = v.object({ data: v.array(Member) });

export const AddMemberRequest = v.object({
  email: v.pipe(v.string(), v.minLength(3), v.maxLength(320)),
  role: v.picklist(ROLES),
  /** No longer accepted: the invitee chooses their own password. Sending it answers 400. */
  password: v.optional(v.pipe(v.string(), v.maxLength(1024))),
});

export const Invitation = v.object({
  id: v.string(),
  team_id: v.string(),
  email: v.string(),
  role: v.picklist(ROLES),
  invited_by_user_id: v.nullable(v.string()),
  created_at: v.string(),
  expires_at: v.string(),
  status: v.picklist(["pending", "accepted", "declined", "revoked"]),
});
export const InvitationCreated = v.object({
  ...Invitation.entries,
  /** The one-time link to hand to the invitee (shown this once). */
  invite_url: v.string(),
  token: v.string(),
});
export const InvitationListResponse = v.object({ data: v.array(Invitation) });
export const InvitationPathParams = v.object({ organization_id: v.string(), team_id: v.string(), invitation_id: v.string() });

const TeamNames = { team_name: v.string(), organization_name: v.string(), organization_id: v.string() };
export const InvitationForInvitee = v.object({ ...Invitation.entries, ...TeamNames });
export const InvitationLookup = v.object({ ...Invitation.entries, ...TeamNames, account_exists: v.boolean() });
export const MyInvitationsResponse = v.object({ data: v.array(InvitationForInvitee) });
export const TokenRequest = v.object({ token: v.pipe(v.string(), v.minLength(10), v.maxLength(200)) });
export const AcceptWithTokenRequest = v.object({
  token: v.pipe(v.string(), v.minLength(10), v.maxLength(200)),
  name: v.pipe(v.string(), v.trim(), v.minLength(1, "name is required"), v.maxLength(200)),
  /** At least 12 characters. */
  password: v.pipe(v.string(), v.maxLength(1024)),
});
export const AcceptedResponse = v.object({ user_id: v.string(), email: v.optional(v.string()), team_id: v.string(), role: v.picklist(ROLES), status: v.optional(v.picklist(["accepted", "declined"])) });
export const MyInvitationPath = v.object({ invitation_id: v.pipe(v.string(), v.maxLength(100)) });

export const UpdateMemberRequest = v.object({ role: v.picklist(ROLES) });

export const RemoveMemberResponse = v.object({ user_id: v.string(), removed: v.literal(true) });

const when = v.string();
const maybe = v.nullable(v.string());
/** Everything the server holds about one person (GET .../members/{user_id}/export). */
export const UserExport = v.object({
  generated_at: when,
  user: v.object({ id: v.string(), email: v.string(), name: v.string(), created_at: when, disabled_at: maybe }),
  memberships: v.array(v.object({ team_id: v.string(), team_name: v.string(), organization_id: v.string(), organization_name: v.string(), role: v.string(), since: when })),
  sessions: v.array(v.object({ id: v.string(), created_at: when, last_seen_at: when, expires_at: when, revoked_at: maybe, ip: maybe, user_agent: maybe })),
  api_keys: v.array(v.object({ id: v.string(), team_id: v.string(), name: v.string(), prefix: v.string(), scopes: v.string(), created_at: when, last_used_at: maybe, expires_at: maybe, revoked_at: maybe })),
  invitations: v.array(v.object({ id: v.string(), team_id: v.string(), role: v.string(), status: v.string(), created_at: when, expires_at: when })),
  templates: v.array(v.object({ id: v.string(), team_id: v.string(), name: v.string(), created_at: when })),
  webhooks: v.array(v.object({ id: v.string(), team_id: v.string(), url: v.string(), created_at: when })),
  audit_log: v.array(v.object({
    id: v.string(), team_id: maybe, action: v.string(), actor: v.object({ type: v.string(), id: maybe }), target: v.object({ type: maybe, id: maybe }),
    ip: maybe, user_agent: maybe, metadata: v.nullable(v.record(v.string(), v.unknown())), created_at: when,
  })),
});
export const EraseResponse = v.object({ pseudonym: v.string(), erased: v.literal(true), sessions_revoked: v.number(), keys_revoked: v.number(), memberships_removed: v.number() });
