"""A Flyve-style device written with Eclipse paho-mqtt (Debian's python3-paho-mqtt), for conformance
tests with a client the project did not write. Prints one JSON object per event on stdout."""
import json
import sys
import time

import paho.mqtt.client as mqtt

port, version, serial, password, wait = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
protocol = mqtt.MQTTv5 if version == 5 else mqtt.MQTTv311
client = mqtt.Client(client_id=serial, protocol=protocol)
client.username_pw_set(serial, password)


def emit(**event):
    print(json.dumps(event), flush=True)


answered = []


def on_connect(_client, _userdata, _flags, rc, _properties=None):
    answered.append(rc)
    emit(event="connack", rc=int(rc.value) if hasattr(rc, "value") else int(rc))


def on_publish(_client, _userdata, mid):
    emit(event="published", mid=mid)


def on_message(_client, _userdata, message):
    emit(event="message", topic=message.topic, payload=message.payload.decode(), qos=message.qos)


client.on_connect = on_connect
client.on_publish = on_publish
client.on_message = on_message
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
deadline = time.time() + 5
while not answered and time.time() < deadline:
    time.sleep(0.01)
time.sleep(0.05)
if client.is_connected():
    topic = f"acme/agent/{serial}/Status/Geolocation"
    for qos in (1, 2):
        body = {"latitude": 10 + qos, "longitude": 20, "datetime": 1700000000 + qos}
        emit(event="sent", mid=client.publish(topic, json.dumps(body), qos=qos).mid, qos=qos)
    client.subscribe(f"acme/agent/{serial}/Command/#", qos=2)
time.sleep(wait)
client.disconnect()
client.loop_stop()
