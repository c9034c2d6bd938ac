"""The "Programme rules" page: the financial-control thresholds in force (budget transfers, expenditure
verification, partner risk) with their defaults and last change, and the payment rules the schedules follow."""
