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
  /** For a new user: their name and first password (at least 12 characters). Omit both to add an existing user. */
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200))),
  password: v.optional(v.pipe(v.string(), v.maxLength(1024))),
});

export const UpdateMemberRequest = v.object({ role: v.picklist(ROLES) });

export const RemoveMemberResponse = v.object({ user_id: v.string(), removed: v.literal(true) });
