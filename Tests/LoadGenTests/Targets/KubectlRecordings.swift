/// `kubectl get pod NAME -o json` outputs, as kubectl 1.29 prints them (managedFields and most of the spec left
/// out, as `--show-managed-fields=false`, the default, does for the former).
enum KubectlRecordings {
    static let webAppID = "fa0e1b834e9bbac8bf257d1607c878ecf82b35c520c7ce3929c70b66e641d0b4"
    static let webSidecarID = "5d1bb0e0e5d1b6a3c0b8e3f1a9e44c7a0f9c2d1e8b7a6f5e4d3c2b1a09f8e7d6"
    static let webInitID = "0b4e1f9f2c7b4c9a8e6d5f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
    static let cacheID = "3fe6c5ee4d3d901df9b1a73e38fc859bdf4427500335c89ffa45fc39a19ae0aa"

    /// A Deployment's pod on node-a: init container done, two containers running (containerd).
    static let runningTwoContainers = #"""
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "creationTimestamp": "2024-05-14T09:12:41Z",
            "generateName": "web-7d9c5b6f4d-",
            "labels": {
                "app": "web",
                "pod-template-hash": "7d9c5b6f4d"
            },
            "name": "web-7d9c5b6f4d-x2k8q",
            "namespace": "shop",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "blockOwnerDeletion": true,
                    "controller": true,
                    "kind": "ReplicaSet",
                    "name": "web-7d9c5b6f4d",
                    "uid": "9f0c2a55-0d3e-4d6b-b0f4-5b8f7c1e2a3d"
                }
            ],
            "resourceVersion": "1873422",
            "uid": "ce482f02-2834-4229-832a-2e38183e7511"
        },
        "spec": {
            "containers": [
                {
                    "image": "nginx:1.25",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "app",
                    "ports": [
                        {
                            "containerPort": 80,
                            "name": "http",
                            "protocol": "TCP"
                        }
                    ],
                    "resources": {
                        "requests": {
                            "cpu": "100m",
                            "memory": "64Mi"
                        }
                    },
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [
                        {
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                            "name": "kube-api-access-6xw2p",
                            "readOnly": true
                        }
                    ]
                },
                {
                    "args": ["--listen", ":9113"],
                    "image": "nginx/nginx-prometheus-exporter:1.1.0",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "metrics-sidecar",
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "initContainers": [
                {
                    "command": ["sh", "-c", "cp /config/* /etc/nginx/conf.d/"],
                    "image": "busybox:1.36",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "init-config",
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"
                }
            ],
            "nodeName": "node-a",
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": "default",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "tolerationSeconds": 300
                }
            ]
        },
        "status": {
            "conditions": [
                {
                    "lastProbeTime": null,
                    "lastTransitionTime": "2024-05-14T09:12:44Z",
                    "status": "True",
                    "type": "Initialized"
                },
                {
                    "lastProbeTime": null,
                    "lastTransitionTime": "2024-05-14T09:12:47Z",
                    "status": "True",
                    "type": "Ready"
                },
                {
                    "lastProbeTime": null,
                    "lastTransitionTime": "2024-05-14T09:12:47Z",
                    "status": "True",
                    "type": "ContainersReady"
                },
                {
                    "lastProbeTime": null,
                    "lastTransitionTime": "2024-05-14T09:12:41Z",
                    "status": "True",
                    "type": "PodScheduled"
                }
            ],
            "containerStatuses": [
                {
                    "containerID": "containerd://fa0e1b834e9bbac8bf257d1607c878ecf82b35c520c7ce3929c70b66e641d0b4",
                    "image": "docker.io/library/nginx:1.25",
                    "imageID": "docker.io/library/nginx@sha256:32da30332506740a2f7c34d5dc70467b7f14ec67d912703568daff790ab3f755",
                    "lastState": {},
                    "name": "app",
                    "ready": true,
                    "restartCount": 0,
                    "started": true,
                    "state": {
                        "running": {
                            "startedAt": "2024-05-14T09:12:45Z"
                        }
                    }
                },
                {
                    "containerID": "containerd://5d1bb0e0e5d1b6a3c0b8e3f1a9e44c7a0f9c2d1e8b7a6f5e4d3c2b1a09f8e7d6",
                    "image": "docker.io/nginx/nginx-prometheus-exporter:1.1.0",
                    "imageID": "docker.io/nginx/nginx-prometheus-exporter@sha256:2a3a3b1b4e6f9e1c4b38ad0ad2c8e7e6e3b2e2f7d7f0c0c9f4a1b2c3d4e5f6a7",
                    "lastState": {},
                    "name": "metrics-sidecar",
                    "ready": true,
                    "restartCount": 0,
                    "started": true,
                    "state": {
                        "running": {
                            "startedAt": "2024-05-14T09:12:46Z"
                        }
                    }
                }
            ],
            "hostIP": "10.0.3.17",
            "hostIPs": [{"ip": "10.0.3.17"}],
            "initContainerStatuses": [
                {
                    "containerID": "containerd://0b4e1f9f2c7b4c9a8e6d5f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c",
                    "image": "docker.io/library/busybox:1.36",
                    "imageID": "docker.io/library/busybox@sha256:5eef5ed34e1e1ff0a4ae850395cbf665c4de6b4b83a32a0bc7bcb998e24e7bbb",
                    "lastState": {},
                    "name": "init-config",
                    "ready": true,
                    "restartCount": 0,
                    "started": false,
                    "state": {
                        "terminated": {
                            "containerID": "containerd://0b4e1f9f2c7b4c9a8e6d5f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c",
                            "exitCode": 0,
                            "finishedAt": "2024-05-14T09:12:43Z",
                            "reason": "Completed",
                            "startedAt": "2024-05-14T09:12:43Z"
                        }
                    }
                }
            ],
            "phase": "Running",
            "podIP": "10.244.1.23",
            "podIPs": [{"ip": "10.244.1.23"}],
            "qosClass": "Burstable",
            "startTime": "2024-05-14T09:12:41Z"
        }
    }
    """#

    /// A StatefulSet's pod on node-a whose image cannot be pulled.
    static let pendingImagePull = #"""
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "creationTimestamp": "2024-05-14T10:02:11Z",
            "generateName": "db-",
            "labels": {
                "app": "db",
                "statefulset.kubernetes.io/pod-name": "db-0"
            },
            "name": "db-0",
            "namespace": "shop",
            "resourceVersion": "1880107",
            "uid": "104a7283-50ba-45d8-9fa3-75af30dd1d8d"
        },
        "spec": {
            "containers": [
                {
                    "image": "postgres:16.9-typo",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "postgres",
                    "ports": [{"containerPort": 5432, "name": "pg", "protocol": "TCP"}],
                    "resources": {}
                }
            ],
            "hostname": "db-0",
            "nodeName": "node-a",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "subdomain": "db"
        },
        "status": {
            "conditions": [
                {"lastProbeTime": null, "lastTransitionTime": "2024-05-14T10:02:11Z", "status": "True", "type": "Initialized"},
                {"lastProbeTime": null, "lastTransitionTime": "2024-05-14T10:02:11Z", "message": "containers with unready status: [postgres]", "reason": "ContainersNotReady", "status": "False", "type": "Ready"},
                {"lastProbeTime": null, "lastTransitionTime": "2024-05-14T10:02:11Z", "message": "containers with unready status: [postgres]", "reason": "ContainersNotReady", "status": "False", "type": "ContainersReady"},
                {"lastProbeTime": null, "lastTransitionTime": "2024-05-14T10:02:11Z", "status": "True", "type": "PodScheduled"}
            ],
            "containerStatuses": [
                {
                    "image": "postgres:16.9-typo",
                    "imageID": "",
                    "lastState": {},
                    "name": "postgres",
                    "ready": false,
                    "restartCount": 0,
                    "started": false,
                    "state": {
                        "waiting": {
                            "message": "Back-off pulling image \"postgres:16.9-typo\"",
                            "reason": "ImagePullBackOff"
                        }
                    }
                }
            ],
            "hostIP": "10.0.3.17",
            "phase": "Pending",
            "podIP": "10.244.1.31",
            "qosClass": "BestEffort",
            "startTime": "2024-05-14T10:02:11Z"
        }
    }
    """#

    /// A pod no node can take yet.
    static let unschedulable = #"""
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "creationTimestamp": "2024-05-14T10:05:00Z",
            "name": "big-batch",
            "namespace": "default",
            "uid": "0a6f1d8e-2f4b-4c83-9a55-6d2e0f9c7b11"
        },
        "spec": {
            "containers": [
                {"image": "busybox:1.36", "name": "work", "resources": {"requests": {"cpu": "64"}}}
            ],
            "restartPolicy": "Never",
            "schedulerName": "default-scheduler"
        },
        "status": {
            "conditions": [
                {
                    "lastProbeTime": null,
                    "lastTransitionTime": "2024-05-14T10:05:00Z",
                    "message": "0/3 nodes are available: 3 Insufficient cpu.",
                    "reason": "Unschedulable",
                    "status": "False",
                    "type": "PodScheduled"
                }
            ],
            "phase": "Pending",
            "qosClass": "Burstable"
        }
    }
    """#

    /// A pod running on node-b under CRI-O.
    static let runningOnNodeB = #"""
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "creationTimestamp": "2024-05-13T22:40:09Z",
            "labels": {"app": "cache"},
            "name": "cache-5f6b8c9d7-qm4zt",
            "namespace": "shop",
            "uid": "7e1f3c2a-9b8d-4e6f-a1b2-c3d4e5f60718"
        },
        "spec": {
            "containers": [
                {"image": "redis:7.2", "name": "redis", "ports": [{"containerPort": 6379, "protocol": "TCP"}]}
            ],
            "nodeName": "node-b.europe-west1-b.c.example.internal",
            "restartPolicy": "Always"
        },
        "status": {
            "containerStatuses": [
                {
                    "containerID": "cri-o://3fe6c5ee4d3d901df9b1a73e38fc859bdf4427500335c89ffa45fc39a19ae0aa",
                    "image": "docker.io/library/redis:7.2",
                    "imageID": "docker.io/library/redis@sha256:f14f42fc7e824b93c0e2fe3cdf42f68197ee0311c3d2e0235be37480b2e208e6",
                    "lastState": {
                        "terminated": {
                            "containerID": "cri-o://aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233",
                            "exitCode": 137,
                            "finishedAt": "2024-05-13T22:41:02Z",
                            "reason": "OOMKilled",
                            "startedAt": "2024-05-13T22:40:12Z"
                        }
                    },
                    "name": "redis",
                    "ready": true,
                    "restartCount": 1,
                    "started": true,
                    "state": {"running": {"startedAt": "2024-05-13T22:41:03Z"}}
                }
            ],
            "hostIP": "10.0.4.9",
            "phase": "Running",
            "podIP": "10.244.2.7",
            "qosClass": "BestEffort",
            "startTime": "2024-05-13T22:40:09Z"
        }
    }
    """#

    /// A finished Job's pod on node-a: its one container terminated with an error.
    static let failedJob = #"""
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "migrate-8k2lx", "namespace": "shop"},
        "spec": {
            "containers": [{"image": "migrate:3", "name": "migrate"}, {"image": "envoy:1.30", "name": "proxy"}],
            "nodeName": "node-a",
            "restartPolicy": "Never"
        },
        "status": {
            "containerStatuses": [
                {
                    "containerID": "containerd://9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
                    "name": "migrate",
                    "ready": false,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2024-05-14T11:00:09Z"}}
                },
                {
                    "containerID": "containerd://8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b9c",
                    "name": "proxy",
                    "ready": false,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": "2024-05-14T11:00:10Z"}}
                }
            ],
            "phase": "Failed"
        }
    }
    """#

    /// What `kubectl get pods -o json` (no name) prints: a List.
    static let list = #"""
    {"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}
    """#
}
