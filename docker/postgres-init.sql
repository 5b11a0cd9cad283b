-- Rasa's tracker store gets its own database on the same server.
CREATE DATABASE rasa_tracker OWNER coach;
