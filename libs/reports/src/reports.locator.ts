import { Locator } from 'nestjs-servus';
import { TypeOrmEntityLocator } from 'nestjs-servus/extend';
import { DataSource } from 'typeorm';
import { Report } from './entities/report.entity';

/** Lets a Report be passed to callAsync: the job carries `gid://servus/Report/<id>`, the worker reads the row again. */
@Locator()
export class ReportsLocator extends TypeOrmEntityLocator {
  constructor(dataSource: DataSource) {
    super(dataSource, [Report]);
  }
}
