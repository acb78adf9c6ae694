// DOM helpers of the planner: the shared ones, and the message over the map.
import { messageBox } from "../common/dom.js";

export { $, $$, debounce, el } from "../common/dom.js";

/** A short message over the map (errors in red, information in blue). */
export const toast = messageBox("#toast", "planner-toast");
