-- Learning paths (seed 004): two paths written by the platform's owner, in order.
INSERT INTO mentor.learning_paths (title, category, description, created_by)
SELECT d.title, d.category, d.description, u.id
  FROM (VALUES ('Leading your first team', 'leadership', 'From individual contributor to team lead, in four steps.'),
               ('Backend foundations', 'technical', 'HTTP, databases and deployment for new backend engineers.')) d(title, category, description)
  JOIN mentor.users u ON u.username = 'olivia';
INSERT INTO mentor.learning_path_modules (path_id, position, title, estimated_minutes)
SELECT p.id, m.position, m.title, m.minutes
  FROM mentor.learning_paths p
  JOIN (VALUES ('Leading your first team', 1, 'Delegating well', 40), ('Leading your first team', 2, 'Feedback that lands', 35),
               ('Leading your first team', 3, 'Running one-on-ones', 30), ('Leading your first team', 4, 'Your first hire', 45),
               ('Backend foundations', 1, 'HTTP in depth', 60), ('Backend foundations', 2, 'Relational modelling', 90),
               ('Backend foundations', 3, 'Shipping to production', 60)) m(path, position, title, minutes) ON m.path = p.title;
-- Kenji is part way through the backend path.
INSERT INTO mentor.learning_module_completions (user_id, module_id)
SELECT u.id, m.id FROM mentor.users u, mentor.learning_path_modules m JOIN mentor.learning_paths p ON p.id = m.path_id
 WHERE u.username = 'kenji' AND p.title = 'Backend foundations' AND m.position = 1;
