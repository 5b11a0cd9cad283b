# Rasa server: Python 3.10, rasa==3.6.21 (pinned with its whole tree), the model trained at build.
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONPATH=/app RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
COPY requirements/rasa.txt requirements/rasa.txt
RUN pip install --no-cache-dir -r requirements/rasa.txt
COPY config.yml credentials.yml ./
COPY domain domain
COPY data data
COPY coach coach
COPY docker/endpoints.yml docker/endpoints.yml
RUN rasa train --data data --domain domain --config config.yml --out models --fixed-model-name coach
EXPOSE 5005
CMD ["rasa", "run", "--enable-api", "--port", "5005", "--model", "models/coach.tar.gz", \
     "--endpoints", "docker/endpoints.yml", "--credentials", "credentials.yml"]
