// k6 peer for bench/flows.sh: the flow of bench/flow.yaml. ITERATIONS iterations shared by VUS virtual users
// (`shared-iterations`), MAX_DURATION as a safety bound. Each step is tagged with its name; the thresholds that can
// never fail exist only so the summary export carries a per-step request count.
import http from 'k6/http';

const BASE = __ENV.BASE_URL;

export const options = {
    discardResponseBodies: true,
    summaryTrendStats: ['avg', 'med', 'p(99)', 'max'],
    scenarios: {
        shop: {
            executor: 'shared-iterations',
            vus: Number(__ENV.VUS || 50),
            iterations: Number(__ENV.ITERATIONS || 2000),
            maxDuration: __ENV.MAX_DURATION || '120s',
            gracefulStop: '5s',
        },
    },
    thresholds: {
        'http_reqs{name:login}': ['count>=0'],
        'http_reqs{name:item}': ['count>=0'],
        'http_reqs{name:cart}': ['count>=0'],
    },
};

const json = { headers: { 'Content-Type': 'application/json' } };

export default function () {
    const login = http.post(`${BASE}/login`, JSON.stringify({ user: 'bench', password: 'secret' }),
        { headers: json.headers, responseType: 'text', tags: { name: 'login' } });
    const token = login.json('token');
    if (!token) { return; }
    const auth = { 'Authorization': `Bearer ${token}` };
    http.get(`${BASE}/item`, { headers: auth, tags: { name: 'item' } });
    http.post(`${BASE}/cart`, JSON.stringify({ item: 7, quantity: 1 }),
        { headers: Object.assign({ 'Content-Type': 'application/json' }, auth), tags: { name: 'cart' } });
}
