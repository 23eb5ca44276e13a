/** The function app's entry: importing it registers every function with `@azure/functions`. */
import './extract.js';
import './transform.js';
import './aggregate.js';
import './outbox-relay.js';
import './extract-sweep.js';
import './status.js';
import './metrics.js';
