// The data source the TypeORM CLI loads (typeorm migration:generate -d typeorm_datasource.mjs).
import { dataSource } from "./typeorm_entities.mjs";

export default dataSource();
