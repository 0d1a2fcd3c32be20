"""Demo seeding (`manage.py seed_demo`): people, queues, SOPs, escalations and tickets."""
