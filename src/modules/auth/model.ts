/** Request and response models of the auth, session, team and API key routes. */
import * as v from "valibot";
import { ROLES } from "./permissions";

export { ErrorResponse } from "../ocr/model";

export const TeamPathParams = v.object({ organization_id: v.string(), team_id: v.string() });
export const OrgPathParams = v.object({ organization_id: v.string() });
export const KeyPathParams = v.object({ organization_id: v.string(), team_id: v.string(), key_id: v.string() });
export const SessionPathParams = v.object({ session_id: v.string() });

export const Role = v.picklist(ROLES);

export const LoginRequest = v.object({
  email: v.pipe(v.string(), v.minLength(3), v.maxLength(320)),
  password: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
});

const TeamOfUser = v.object({
  id: v.string(),
  name: v.string(),
  organization_id: v.string(),
  organization_name: v.string(),
  role: v.nullable(Role),
});

export const UserInfo = v.object({ id: v.string(), email: v.string(), name: v.string(), created_at: v.string() });

export const LoginResponse = v.object({
  /** The session token: send it as `Authorization: Bearer <token>` (the browser uses the cookie instead). */
  token: v.string(),
  csrf_token: v.string(),
  session_id: v.string(),
  expires_at: v.string(),
  user: UserInfo,
  teams: v.array(TeamOfUser),
});

export const LogoutResponse = v.object({ status: v.literal("ok"), message: v.string() });

export const ApiKeyInfo = v.object({
  id: v.string(),
  name: v.string(),
  prefix: v.string(),
  scopes: v.array(v.string()),
  team_id: v.string(),
  created_at: v.string(),
  created_by_user_id: v.nullable(v.string()),
  last_used_at: v.nullable(v.string()),
  expires_at: v.nullable(v.string()),
  revoked_at: v.nullable(v.string()),
  status: v.picklist(["active", "expired", "revoked"]),
});

export const VerifyResponse = v.object({
  status: v.literal("ok"),
  message: v.string(),
  /** user for sessions, api_key for API keys. */
  auth_type: v.picklist(["session", "api_key"]),
  user: v.optional(UserInfo),
  session: v.optional(v.object({ id: v.string(), expires_at: v.string(), csrf_token: v.optional(v.string()) })),
  api_key: v.optional(ApiKeyInfo),
  teams: v.array(TeamOfUser),
});

export const SessionInfo = v.object({
  id: v.string(),
  created_at: v.string(),
  last_seen_at: v.string(),
  expires_at: v.string(),
  ip: v.nullable(v.string()),
  user_agent: v.nullable(v.string()),
  current: v.boolean(),
});
export const SessionListResponse = v.object({ data: v.array(SessionInfo) });
export const RevokeSessionResponse = v.object({ id: v.string(), revoked: v.literal(true) });

export const CreateApiKeyRequest = v.object({
  name: v.pipe(v.string(), v.trim(), v.minLength(1, "name is required"), v.maxLength(100)),
  /** Scopes such as "*" (everything an API key may do), "jobs", "jobs:read", "settings:write". Default ["*"]. */
  scopes: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(50))), v.minLength(1), v.maxLength(30))),
  /** Days until the key stops working; omitted = never. */
  expires_in_days: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3650))),
});

export const CreateApiKeyResponse = v.object({
  ...ApiKeyInfo.entries,
  /** The secret, shown this once: only its hash is stored. */
  key: v.string(),
});

export const ApiKeyListResponse = v.object({ data: v.array(ApiKeyInfo) });

export const TeamListResponse = v.object({ data: v.array(v.object({ id: v.string(), name: v.string(), organization_id: v.string(), role: v.nullable(Role), created_at: v.string() })) });
export const CreateTeamRequest = v.object({ name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)) });
export const TeamResponse = v.object({ id: v.string(), name: v.string(), organization_id: v.string(), role: v.nullable(Role), created_at: v.string() });
