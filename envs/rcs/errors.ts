import { DataError } from "../../errors.js";

/** A dataset folder or file that does not follow the documented layout (envs/rcs/README.md). */
export class RcsDataError extends DataError {
  constructor(message: string) {
    super(message, "rcs-data");
  }
}
