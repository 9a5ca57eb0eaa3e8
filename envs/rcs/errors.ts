import { FlashError } from "../../flash/errors.js";

/** A dataset folder or file that does not follow the documented layout (envs/rcs/README.md). */
export class RcsDataError extends FlashError {
  constructor(message: string) {
    super("rcs-data", message);
  }
}
