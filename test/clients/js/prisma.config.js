// Prisma 7's configuration for the client test: the schema file only (no
// datasource URL: the client connects through @prisma/adapter-pg).
export default { schema: "prisma/schema.prisma" };
