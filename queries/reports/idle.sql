-- name: capacities_loaded
-- Whether the store has any capacity (`capacity load`) or a closed month with frozen capacity
-- costs: a report shows its (idle capacity) rows, totals.idle_capacity_cost and its capacity
-- section only then, so a store without capacities reports exactly as before.
SELECT EXISTS (FROM capacities) OR EXISTS (FROM closed_capacity_costs);
