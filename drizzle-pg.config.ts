import { defineConfig } from "drizzle-kit";

// PostgreSQL migrations, from the tables generated out of src/db/schema.ts (scripts/pg-schema.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema-pg.generated.ts",
  out: "./drizzle-pg",
});
