// k6 peer for `make bench`: a closed loop of VUS virtual users, each sending GET URL back to back.
import http from 'k6/http';

export const options = {
    vus: Number(__ENV.VUS || 50),
    duration: __ENV.DURATION || '10s',
    discardResponseBodies: true,
    summaryTrendStats: ['avg', 'med', 'p(99)', 'max'],
};

export default function () {
    http.get(__ENV.URL);
}
